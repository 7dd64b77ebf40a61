"""DRF exception handler: every API error answers `{"success": false, "error", "code"}`."""

from rest_framework.views import exception_handler


def api_exception_handler(exc, context):
    response = exception_handler(exc, context)
    if response is None:
        return None
    detail = getattr(exc, "detail", None)
    message = str(detail) if detail is not None else str(exc)
    code = getattr(exc, "default_code", "error")
    if hasattr(exc, "get_codes"):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else code
    response.data = {"success": False, "error": message, "code": code}
    return response
