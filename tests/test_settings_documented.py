"""Every environment variable the settings read is documented in docs/settings.md."""

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_every_environment_variable_read_by_the_settings_is_documented() -> None:
    source = (ROOT / "src" / "salespipe" / "settings.py").read_text()
    variables = set(re.findall(r'os\.environ(?:\.get)?\(\s*"([A-Z_]+)"', source))
    variables |= set(re.findall(r'env_(?:bool|list|int)\(\s*"([A-Z_]+)"', source))
    reference = (ROOT / "docs" / "settings.md").read_text()

    assert variables >= {
        "SALESPIPE_HOME",
        "DATABASE_URL",
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "TIME_ZONE",
        "FISCAL_YEAR_START_MONTH",
        "ADVICE_MIN_TRIALS",
    }
    assert [name for name in sorted(variables) if f"`{name}`" not in reference] == []
