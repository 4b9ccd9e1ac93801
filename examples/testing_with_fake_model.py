"""Testing your agent code with the fake model: a pytest test file (run it with pytest, or as a script).

The code under test is `summarize_files`: it asks the agent to list files (which needs an approval) and
returns the answer. The test scripts the model, runs the real app-server, and asserts on what reached
the model. The `codex_fake_model` / `codex_client` fixtures come with the package's pytest plugin.

    python -m pytest examples/testing_with_fake_model.py -q
    python examples/testing_with_fake_model.py
"""

from codex_python_sdk import CodexAgenticClient
from codex_python_sdk.testing import FakeModel, Reply


def summarize_files(client: CodexAgenticClient) -> str:
    """The code under test: allows `ls` only, returns the agent's answer."""

    def only_listing(params):  # codex classifies `ls` as listFiles
        actions = params.command_actions or []
        listing = bool(actions) and all(action["type"] == "listFiles" for action in actions)
        return {"decision": "accept" if listing else "decline"}

    client.on_command_approval = only_listing
    return client.responses_create(prompt="What files are here?").text


def test_summarize_files(codex_fake_model, codex_client):
    ls = Reply.shell("ls", escalated=True)
    codex_fake_model.add(ls, Reply.text("There are no files."))
    assert summarize_files(codex_client) == "There are no files."
    assert codex_fake_model.requests[0].prompts == ["What files are here?"]
    assert "rejected" not in (codex_fake_model.tool_output(ls.call_id) or "")
    codex_fake_model.assert_all_consumed()


if __name__ == "__main__":  # the same test without pytest
    with FakeModel() as model, model.client() as client:
        test_summarize_files(model, client)
    print("test_summarize_files passed")
