"""Django settings for the handler tests: no database, no middleware."""
SECRET_KEY = "hoist-handler-tests-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "djproject.urls"
INSTALLED_APPS = ["djproject"]
MIDDLEWARE = []
DATABASES = {}
USE_TZ = True
DEBUG_PROPAGATE_EXCEPTIONS = True   # let /boom reach the handler
