"""Mistakes a user's type checker must catch (tests/unit/test_user_typing.py expects an error on each
line marked ``# error``). Never run."""

from __future__ import annotations

from codex_python_sdk import CodexAgenticClient, create_client
from codex_python_sdk.protocol import CommandExecutionRequestApprovalParams


def wrong_params(params: int) -> str:
    return "accept"


def wrong_answer(params: CommandExecutionRequestApprovalParams) -> int:
    return 42


def not_a_decision(params: CommandExecutionRequestApprovalParams) -> str:
    return "yes please"


client: CodexAgenticClient = create_client()
client.responses_create(prompt=42)  # error
create_client(on_command_approval=wrong_params)  # error
create_client(on_command_approval=wrong_answer)  # error
create_client(on_command_approval=not_a_decision)  # error
create_client(turn_timeout="soon")  # error
client.thread_list(limit="ten")  # error
print(client.responses_create(prompt="hi").output)  # error
client.responses_create(prompt="hi", output_type="Person")  # error
client.thread().run(42)  # error
client.thread(42)  # error
client.thread(sandbox="read-onyl")  # error
client.thread(modle="gpt-5.5")  # error
client.thread().run("hi", efort="low")  # error
