def test_the_openapi_schema_describes_the_webhook(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    operation = schema["paths"]["/api/webhook"]["post"]
    assert {"200", "202", "400", "401", "404", "413", "429"} <= set(operation["responses"])
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    assert {"MarketBuy", "LimitBatch", "CancelAll"} <= set(examples)


def test_the_api_docs_page_is_served(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
    assert b"cdn.jsdelivr" not in response.content  # assets are served locally (offline installs)
