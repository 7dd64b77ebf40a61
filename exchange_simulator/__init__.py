"""A local exchange speaking the Binance, Bybit and OKX REST APIs that ccxt uses (SIMULATOR.md)."""
