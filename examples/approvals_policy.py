"""Approvals: a command asks to leave the sandbox; a policy rule decides, every decision is audited.

Without a hook or a policy every approval is declined (fail-closed). Here a rule accepts plain `ls`,
and a hook shows the same decision made by Python code.

    python examples/approvals_policy.py
"""

import json
from pathlib import Path

from codex_python_sdk.testing import FakeModel, Reply

rubric = {
    "command_rules": [
        {"name": "listing", "when": {"command_prefix": ["ls", "git status"]}, "decision": "accept"}
    ],
    "defaults": {"command": "decline", "file_change": "decline"},
    "audit": {"path": "audit.jsonl"},
}

with FakeModel() as model, model.client(policy_rubric=rubric) as client:
    # The model asks to run `ls` outside the sandbox, then `rm -rf build`, then answers.
    ls = Reply.shell("ls", escalated=True, justification="see the files")
    rm = Reply.shell("rm -rf build", escalated=True, justification="clean up")
    model.add(ls, rm, Reply.text("Listed the files; I was not allowed to delete build/."))
    result = client.responses_create(prompt="List the files, then clean up.")
    print(result.text)
    for item in result.items:
        if item["type"] == "commandExecution":
            print(f"  {item['command']!r}: {item['status']}")
    print("the model saw, for rm:", (model.tool_output(rm.call_id) or "")[:60], "...")
    for line in Path("audit.jsonl").read_text().splitlines():
        entry = json.loads(line)
        print("audit:", entry["rule"] or "(default)", entry["decision"])


# The same decision by Python code: a hook, any callable of (params) or (params, context).
def only_reads(params):
    """Accept what codex classifies as reads (ls, cat, rg ...), decline everything else."""
    actions = params.command_actions or []
    reads = bool(actions) and all(action["type"] in ("read", "listFiles", "search") for action in actions)
    return {"decision": "accept" if reads else "decline"}


with FakeModel() as model, model.client(on_command_approval=only_reads) as client:
    model.add(Reply.shell("ls", escalated=True), Reply.text("ok"))
    result = client.responses_create(prompt="ls please")
    print("with the hook:", result.text, "| hook errors:", client.hook_errors)
