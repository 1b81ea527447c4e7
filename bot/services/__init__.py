"""Operations shared by the dialogue handlers, the `athar` commands and the dashboard.

A service takes the repositories (`domain.ports.UnitOfWork`) and domain records, never a
channel, Telegram or SQLAlchemy object, and says nothing to a user: the caller words the
outcome (a reply, a line on the terminal, a page). It never commits either: the caller owns
the unit of work.
"""
