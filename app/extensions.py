"""Extensions created unbound here and bound to the app in the factory."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
csrf = CSRFProtect()
migrate = Migrate()
# One limiter per process: init_app binds its storage (memory, or Redis when REDIS_URL is set), so a
# process serving several apps (only the test suite does) shares the storage of the last one bound.
limiter = Limiter(key_func=get_remote_address)
