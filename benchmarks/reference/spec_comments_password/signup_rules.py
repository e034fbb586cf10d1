"""Sign-up form checks."""

from pytest_trace_opt import trainable

# Password policy (security team, 2024 revision). A password must
#   1. be at least 12 characters long;
#   2. contain a digit;
#   3. contain an uppercase letter;
#   4. contain a lowercase letter;
#   5. not contain the username, in any mix of upper and lower case.
# password_problems lists the broken rules as MESSAGES entries, in the order
# above; an acceptable password gives [].

MESSAGES = (
    "too short",
    "needs a digit",
    "needs an uppercase letter",
    "needs a lowercase letter",
    "contains the username",
)


@trainable
def password_problems(username, password):
    problems = []
    if len(password) < 12:
        problems.append(MESSAGES[0])
    if not any(c.isdigit() for c in password):
        problems.append(MESSAGES[1])
    if not any(c.isupper() for c in password):
        problems.append(MESSAGES[2])
    if not any(c.islower() for c in password):
        problems.append(MESSAGES[3])
    if username.casefold() in password.casefold():
        problems.append(MESSAGES[4])
    return problems
