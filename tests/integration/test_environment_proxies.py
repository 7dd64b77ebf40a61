"""`requests` reads the environment's proxies, CA bundle and .netrc on every request it trusts the
environment for. Our ccxt clients trust it only when the environment has any of them (~0.14 ms of
CPU less per order otherwise), so a deployment whose exchange traffic goes through HTTPS_PROXY
still sends it there."""

import pytest

from accounts.exchange import client as exchange
from accounts.exchange.types import ExchangeUnavailable

pytestmark = pytest.mark.integration

PROXY_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
)


@pytest.fixture
def in_process(settings, simulator_url, monkeypatch, tmp_path):
    settings.EXCHANGE_SIMULATOR_URL = simulator_url
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    exchange.forget_clients()
    exchange.environment_shapes_requests.cache_clear()
    yield
    exchange.forget_clients()
    exchange.environment_shapes_requests.cache_clear()


def test_without_proxies_in_the_environment_requests_does_not_look_there(make_trader, in_process):
    client = exchange.client_for(make_trader("BYBIT", "FUTURES").accounts[0])
    assert client._ccxt.session.trust_env is False
    assert client.server_time_ms() > 0


def test_a_proxy_in_the_environment_is_still_used(make_trader, in_process, monkeypatch):
    account = make_trader("BYBIT", "FUTURES").accounts[0]  # the simulator's control API, unproxied
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens: the request fails there
    exchange.environment_shapes_requests.cache_clear()
    client = exchange.client_for(account)
    assert client._ccxt.session.trust_env is True
    with pytest.raises(ExchangeUnavailable):
        client.server_time_ms()


def test_a_netrc_file_keeps_the_environment_trusted(in_process, monkeypatch, tmp_path):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine example.invalid login a password b\n")
    monkeypatch.setenv("NETRC", str(netrc))
    assert exchange.environment_shapes_requests() is True
