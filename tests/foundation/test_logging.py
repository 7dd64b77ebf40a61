import logging

from tests.guide import guide_example
from tradingsite.logging import RedactSecretsFilter, TaskChatterFilter, redact


def test_a_whole_signal_logs_neither_the_token_nor_exchange_secrets(
    trader, fake_exchange, sync_tasks, post, caplog
):
    caplog.set_level(logging.DEBUG)
    post(guide_example("single_market_buy", trader.token))
    post({**guide_example("single_market_buy", trader.token), "group_name": "nope"})
    assert caplog.records  # the signal did log its steps
    assert trader.token not in caplog.text
    assert "secret-0001" not in caplog.text


def test_the_filter_masks_tokens_and_key_values_that_slip_into_a_message():
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "payload %s", ("token=whk_abcdefghijklmnop",), None
    )
    RedactSecretsFilter().filter(record)
    assert "abcdefghijklmnop" not in record.getMessage()
    assert redact('{"api_secret": "s3cr3t", "side": "buy"}') == '{"api_secret": "***", "side": "buy"}'


def test_django_q2s_per_task_lines_are_dropped_and_its_warnings_and_lifecycle_kept():
    def record(level, message):
        return logging.LogRecord("django-q", level, __file__, 1, message, (), None)

    chatter = TaskChatterFilter()
    assert not chatter.filter(record(logging.INFO, "Enqueued [django_q:tradingsite:q] None"))
    assert not chatter.filter(record(logging.INFO, "Process-1 processing carbon-iowa 'orders.tasks.x'"))
    assert not chatter.filter(record(logging.INFO, "Processed 'orders.tasks.x' (carbon-iowa)"))
    assert chatter.filter(record(logging.INFO, "Q Cluster carbon-iowa [Task queue] running."))
    assert chatter.filter(record(logging.WARNING, "Process-1 processing stopped: timeout"))
    assert logging.getLogger("django-q").filters  # installed by settings.LOGGING
