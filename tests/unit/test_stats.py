"""The statistics behind weakness detection, without a database: Wilson intervals against published values,
P(rate_a < rate_b) against a numerical integration of the Beta posteriors, and the rule that flags a step."""

from __future__ import annotations

import math
from statistics import NormalDist

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salespipe.analytics.stats import StepComparison, compare_to_team, probability_below, wilson_interval


@st.composite
def counts(draw: st.DrawFn, max_trials: int = 2_000) -> tuple[int, int]:
    trials = draw(st.integers(min_value=0, max_value=max_trials))
    return draw(st.integers(min_value=0, max_value=trials)), trials


def beta_density(x: float, alpha: int, beta: int) -> float:
    log_norm = math.lgamma(alpha + beta) - math.lgamma(alpha) - math.lgamma(beta)
    return math.exp(log_norm) * x ** (alpha - 1) * (1 - x) ** (beta - 1)


def integrated_probability_below(
    successes_a: int, trials_a: int, successes_b: int, trials_b: int, *, intervals: int = 4_000
) -> float:
    """P(X_a < X_b) = ∫ F_a(x) f_b(x) dx by Simpson's rule, with F_a itself a running Simpson integral of f_a.

    The posteriors are polynomials, so Simpson's rule converges fast: 4,000 steps give about ten digits."""
    alpha_a, beta_a = 1 + successes_a, 1 + trials_a - successes_a
    alpha_b, beta_b = 1 + successes_b, 1 + trials_b - successes_b
    h = 1 / intervals
    density_a = [beta_density(k * h, alpha_a, beta_a) for k in range(intervals + 1)]
    # F_a at every even point of the fine grid, one Simpson panel (two steps) at a time.
    cdf_a = [0.0]
    for k in range(0, intervals, 2):
        cdf_a.append(cdf_a[-1] + h / 3 * (density_a[k] + 4 * density_a[k + 1] + density_a[k + 2]))
    # The outer integral on the even points: a grid of step 2h.
    coarse = intervals // 2
    integrand = [cdf_a[j] * beta_density(2 * j * h, alpha_b, beta_b) for j in range(coarse + 1)]
    weights = [1] + [4 if j % 2 else 2 for j in range(1, coarse)] + [1]
    return 2 * h / 3 * math.fsum(w * f for w, f in zip(weights, integrand, strict=True))


# --- Wilson interval ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("successes", "trials", "expected"),
    [
        (8, 10, (0.4902, 0.9433)),
        (0, 10, (0.0, 0.2775)),
        (10, 10, (0.7225, 1.0)),
        (1, 1, (0.2065, 1.0)),
        (0, 3, (0.0, 0.5615)),
        (50, 100, (0.4038, 0.5962)),
    ],
)
def test_the_wilson_interval_matches_published_values(
    successes: int, trials: int, expected: tuple[float, float]
) -> None:
    # when
    lower, upper = wilson_interval(successes, trials)

    # then
    assert (round(lower, 4), round(upper, 4)) == expected


def test_no_trials_leave_the_whole_range_possible() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_a_higher_confidence_widens_the_interval() -> None:
    # given
    lower_95, upper_95 = wilson_interval(8, 10)

    # when
    lower_99, upper_99 = wilson_interval(8, 10, confidence=0.99)

    # then
    assert (round(lower_99, 4), round(upper_99, 4)) == (0.4008, 0.9599)
    assert lower_99 < lower_95 and upper_95 < upper_99


@given(counts(max_trials=100_000), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_the_interval_lies_within_zero_and_one_and_contains_the_observed_rate(
    observed: tuple[int, int], confidence: float
) -> None:
    # given
    successes, trials = observed

    # when
    lower, upper = wilson_interval(successes, trials, confidence=confidence)

    # then
    assert 0.0 <= lower <= upper <= 1.0
    if trials:
        assert lower <= successes / trials <= upper


# --- P(rate_a < rate_b) ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("successes", "trials"), [(0, 0), (0, 10), (7, 10), (120, 400), (50_000, 100_000)])
def test_equal_data_is_below_with_probability_one_half(successes: int, trials: int) -> None:
    assert probability_below(successes, trials, successes, trials) == 0.5


def test_posteriors_both_centred_on_one_half_are_below_each_other_with_probability_one_half() -> None:
    # given: Beta(6, 6) and Beta(51, 51), different data but both symmetric about 0.5
    # when
    chance = probability_below(5, 10, 50, 100)

    # then
    assert chance == pytest.approx(0.5, abs=1e-12)


def test_no_wins_in_ten_against_ten_in_ten_is_almost_surely_below() -> None:
    # given: Beta(1, 11) against Beta(11, 1), so P = 1 − 1 / C(22, 11)
    # when
    chance = probability_below(0, 10, 10, 10)

    # then
    assert chance == pytest.approx(1 - 1 / math.comb(22, 11), abs=1e-12)
    assert probability_below(10, 10, 0, 10) == pytest.approx(1 / math.comb(22, 11), rel=1e-9)


def test_no_data_against_one_success_is_below_with_probability_two_thirds() -> None:
    # given: Beta(1, 1) against Beta(2, 1); P(U < V) with V = max of two uniforms is 2/3
    assert probability_below(0, 0, 1, 1) == pytest.approx(2 / 3, abs=1e-12)


@pytest.mark.parametrize(
    ("successes_a", "trials_a", "successes_b", "trials_b"),
    [
        (3, 10, 5, 10),
        (1, 20, 7, 12),
        (12, 30, 40, 80),
        (9, 9, 0, 4),
        (0, 3, 200, 400),
        (25, 60, 18, 35),
    ],
)
def test_the_closed_form_matches_a_numerical_integration_of_the_posteriors(
    successes_a: int, trials_a: int, successes_b: int, trials_b: int
) -> None:
    # given
    integrated = integrated_probability_below(successes_a, trials_a, successes_b, trials_b)

    # when
    exact = probability_below(successes_a, trials_a, successes_b, trials_b)

    # then
    assert exact == pytest.approx(integrated, abs=1e-8)


@pytest.mark.parametrize(
    ("successes_a", "successes_b"), [(50_000, 50_100), (49_000, 50_000), (30_000, 30_500), (70_000, 69_800)]
)
def test_a_hundred_thousand_trials_agree_with_the_normal_approximation(
    successes_a: int, successes_b: int
) -> None:
    # given: with tens of thousands of successes and failures a side, the posteriors are as good as normal
    trials = 100_000

    def mean_and_variance(successes: int) -> tuple[float, float]:
        alpha, beta = 1 + successes, 1 + trials - successes
        n = alpha + beta
        return alpha / n, alpha * beta / (n * n * (n + 1))

    (mean_a, variance_a), (mean_b, variance_b) = (
        mean_and_variance(successes_a),
        mean_and_variance(successes_b),
    )
    normal = NormalDist().cdf((mean_b - mean_a) / math.sqrt(variance_a + variance_b))

    # when
    chance = probability_below(successes_a, trials, successes_b, trials)

    # then
    assert chance == pytest.approx(normal, abs=1e-3)


@pytest.mark.parametrize(
    ("successes_a", "successes_b", "rare_a", "rare_b", "rare_counts_successes"),
    [
        (3, 5, 3, 5, True),
        (12, 4, 12, 4, True),
        (99_990, 99_995, 10, 5, False),
        (99_999, 99_980, 1, 20, False),
    ],
)
def test_rare_outcomes_in_a_hundred_thousand_trials_agree_with_their_gamma_limit(
    successes_a: int, successes_b: int, rare_a: int, rare_b: int, rare_counts_successes: bool
) -> None:
    # given: k rare outcomes in n ≈ 100,000 trials give a rate ≈ Gamma(1 + k) / n, and for two gammas of one
    # scale P(G_a < G_b) = P(Beta(α_a, α_b) < 1/2) = P(Binomial(α_a + α_b − 1, 1/2) ≥ α_a)
    def gamma_below(alpha_a: int, alpha_b: int) -> float:
        draws = alpha_a + alpha_b - 1
        return sum(math.comb(draws, k) for k in range(alpha_a, draws + 1)) / (1 << draws)

    if rare_counts_successes:
        limit = gamma_below(1 + rare_a, 1 + rare_b)
    else:  # a's success rate below b's is b's failure rate below a's
        limit = gamma_below(1 + rare_b, 1 + rare_a)

    # when
    chance = probability_below(successes_a, 100_000, successes_b, 100_000)

    # then
    assert chance == pytest.approx(limit, abs=1e-4)


@given(counts(), counts())
def test_a_below_b_and_b_below_a_add_up_to_one(a: tuple[int, int], b: tuple[int, int]) -> None:
    # when
    a_below, b_below = probability_below(*a, *b), probability_below(*b, *a)

    # then
    assert 0.0 <= a_below <= 1.0
    assert a_below + b_below == pytest.approx(1.0, abs=1e-9)


@given(counts(), counts())
def test_one_more_failure_makes_a_rate_more_likely_below(a: tuple[int, int], b: tuple[int, int]) -> None:
    # given
    successes, trials = a
    before = probability_below(successes, trials, *b)

    # when
    after = probability_below(successes, trials + 1, *b)

    # then: never lower beyond the rounding error, and strictly higher where that error cannot hide it
    assert after >= before - 1e-11
    if 1e-6 < before < 1 - 1e-6:
        assert after > before


@pytest.mark.parametrize(
    ("successes_a", "trials_a", "successes_b", "trials_b"),
    [(-1, 10, 5, 10), (1, -1, 5, 10), (11, 10, 5, 10), (1, 10, 6, 5), (1, 10, -2, 5)],
)
def test_impossible_counts_are_refused(
    successes_a: int, trials_a: int, successes_b: int, trials_b: int
) -> None:
    with pytest.raises(ValueError, match="successes"):
        probability_below(successes_a, trials_a, successes_b, trials_b)
    with pytest.raises(ValueError, match="successes"):
        compare_to_team(successes_a, trials_a, successes_b, trials_b)


def test_more_successes_than_trials_are_refused_with_both_numbers() -> None:
    with pytest.raises(ValueError, match=r"successes \(11\) cannot exceed trials \(10\)"):
        wilson_interval(11, 10)


@pytest.mark.parametrize("confidence", [0.0, 1.0, 1.5, -0.1])
def test_a_confidence_outside_zero_to_one_is_refused(confidence: float) -> None:
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(5, 10, confidence=confidence)


# --- comparing a rep with their team --------------------------------------------------------------------


def test_a_rep_who_lost_three_appointments_of_three_is_not_weak_against_a_team_at_one_half() -> None:
    # when
    comparison = compare_to_team(0, 3, 200, 400)

    # then: too few deals, and not even 95 % sure on its own: losing 3 in a row at 50 % is common
    assert comparison.weak is False
    assert comparison.rate == 0.0
    assert comparison.probability_below < 0.95


def test_a_rep_who_won_two_appointments_of_forty_is_weak_against_a_team_at_one_half() -> None:
    # when
    comparison = compare_to_team(2, 40, 200, 400)

    # then
    assert comparison == StepComparison(
        successes=2,
        trials=40,
        rate=0.05,
        interval=comparison.interval,
        team_successes=200,
        team_trials=400,
        team_rate=0.5,
        probability_below=comparison.probability_below,
        weak=True,
    )
    assert comparison.probability_below > 0.999_999
    assert (round(comparison.interval[0], 4), round(comparison.interval[1], 4)) == (0.0138, 0.1650)


def test_a_rep_at_the_team_rate_is_not_weak() -> None:
    # when
    comparison = compare_to_team(20, 40, 200, 400)

    # then
    assert comparison.weak is False
    assert 0.4 < comparison.probability_below < 0.6


def test_a_small_team_is_no_yardstick() -> None:
    # when: the rep has plenty of deals, the rest of the team too few
    comparison = compare_to_team(0, 50, 9, 9)

    # then
    assert comparison.probability_below > 0.999
    assert comparison.weak is False


def test_without_trials_there_is_no_rate_and_no_weakness() -> None:
    # when
    comparison = compare_to_team(0, 0, 0, 0)

    # then
    assert comparison.rate is None
    assert comparison.team_rate is None
    assert comparison.interval == (0.0, 1.0)
    assert comparison.probability_below == 0.5
    assert comparison.weak is False


def test_the_certainty_and_minimum_are_the_callers_to_choose() -> None:
    # given: 0/3 against 200/400 is about 94 % likely below
    # when
    lenient = compare_to_team(0, 3, 200, 400, min_trials=3, certainty=0.9)
    strict_count = compare_to_team(0, 3, 200, 400, min_trials=4, certainty=0.9)

    # then
    assert lenient.weak is True
    assert strict_count.weak is False


@given(
    counts(max_trials=500),
    counts(max_trials=500),
    st.integers(min_value=1, max_value=50),
    st.floats(min_value=0.5, max_value=0.999),
)
def test_a_step_is_weak_exactly_when_both_sides_have_enough_trials_and_the_chance_is_high_enough(
    rep: tuple[int, int], team: tuple[int, int], min_trials: int, certainty: float
) -> None:
    # when
    comparison = compare_to_team(*rep, *team, min_trials=min_trials, certainty=certainty)

    # then
    if rep[1] < min_trials or team[1] < min_trials:
        assert comparison.weak is False
    assert comparison.weak == (
        rep[1] >= min_trials and team[1] >= min_trials and comparison.probability_below >= certainty
    )
    assert comparison.probability_below == probability_below(*rep, *team)
