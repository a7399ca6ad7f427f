# Greek business users read times on a 24-hour clock; Django's own Greek formats use 12 hours (π.μ./μ.μ.).
# Everything not set here comes from Django's Greek formats.
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "d/m/Y H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
