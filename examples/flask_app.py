"""A Flask app with systemprompt-analytics (WSGI middleware).

    pip install 'systemprompt-analytics' flask
    flask --app examples.flask_app run --port 8001
    curl -i http://127.0.0.1:8001/

Django: wrap the WSGI application in wsgi.py the same way:
    application = AnalyticsWSGIMiddleware(get_wsgi_application(), analytics=Analytics.from_env())
"""

from flask import Flask, request

from systemprompt_analytics import Analytics
from systemprompt_analytics.web import AnalyticsWSGIMiddleware

app = Flask(__name__)


@app.get("/")
def home() -> str:
    return "<h1>Hello from Flask</h1>"


@app.get("/account")
def account() -> str:
    request.environ["analytics.user_id"] = "user_123"  # who the user is, once auth ran
    return "<h1>Your account</h1>"


app.wsgi_app = AnalyticsWSGIMiddleware(app.wsgi_app, analytics=Analytics.from_env())  # type: ignore[method-assign]
