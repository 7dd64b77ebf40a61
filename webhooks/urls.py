from django.urls import path

from webhooks.views import WebhookView

urlpatterns = [
    path("webhook", WebhookView.as_view(), name="webhook"),
    path("webhook/", WebhookView.as_view(schema=None)),  # same endpoint, kept out of the schema
]
