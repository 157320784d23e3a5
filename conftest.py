"""Repository-wide pytest configuration.

The addons' tests and the repository-level tests run in one pytest session under pytest-odoo,
against the test database that ``make test`` creates from the cached template.
"""

import threading

import pytest


@pytest.fixture(scope="session", autouse=True)
def _odoo_thread_dbname():
    """Work around an Odoo 19 bug under pytest-odoo.

    QWeb rendering looks the database up on the current thread and recurses without end when the
    thread has no ``dbname`` (the main thread under pytest-odoo), so give it the test database.
    """
    from odoo.tools import config

    thread = threading.current_thread()
    if config["db_name"] and not getattr(thread, "dbname", None):
        db_name = config["db_name"]
        thread.dbname = db_name[0] if isinstance(db_name, list) else db_name
    yield
