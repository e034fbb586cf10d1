import pytest

from accounts import Account, InsufficientFunds


@pytest.mark.trainable
def test_ordinary_withdrawal():
    account = Account("ines", balance=100)
    assert account.withdraw(30) == 70
    assert account.balance == 70


@pytest.mark.trainable
def test_no_overdraft_allowed():
    account = Account("jon", balance=20)
    with pytest.raises(InsufficientFunds):
        account.withdraw(21)
    assert account.balance == 20


@pytest.mark.trainable
def test_into_the_overdraft():
    account = Account("kai", balance=50, overdraft_limit=200)
    got = account.withdraw(120)
    assert got == -70, f"balance 50, overdraft 200, withdraw 120: got {got}"


@pytest.mark.trainable
def test_overdraft_used_to_the_limit():
    account = Account("lou", balance=0, overdraft_limit=100)
    assert account.withdraw(100) == -100
    with pytest.raises(InsufficientFunds):
        account.withdraw(1)
    assert account.balance == -100


@pytest.mark.trainable
def test_amount_must_be_positive():
    with pytest.raises(ValueError):
        Account("mo", balance=10).withdraw(0)


@pytest.mark.trainable(holdout=True)
def test_several_withdrawals():
    account = Account("nia", balance=30, overdraft_limit=50)
    account.withdraw(40)
    account.withdraw(35)
    assert account.balance == -45
    with pytest.raises(InsufficientFunds):
        account.withdraw(6)
    assert account.withdraw(5) == -50


@pytest.mark.trainable(holdout=True)
def test_already_overdrawn_account():
    account = Account("ola", balance=-20, overdraft_limit=30)
    assert account.withdraw(10) == -30
    with pytest.raises(InsufficientFunds):
        Account("pia", balance=-20, overdraft_limit=10).withdraw(1)
