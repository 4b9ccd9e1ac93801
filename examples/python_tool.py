"""A Python function as a tool the model can call (`@tool`).

The signature and the docstring become the tool's JSON schema; the arguments are checked and converted
before your function runs.

    python examples/python_tool.py
"""

from typing import Literal

from codex_python_sdk import tool
from codex_python_sdk.testing import FakeModel, Reply


@tool
def get_weather(city: str, unit: Literal["C", "F"] = "C") -> str:
    """Current weather of a city.

    Args:
        city: The city name, e.g. "Paris".
        unit: Temperature unit.
    """
    return f"Sunny, 21 {unit} in {city}"


print("schema:", get_weather.spec()["inputSchema"])

with FakeModel() as model, model.client(tools=[get_weather]) as client:
    call = Reply.tool_call("get_weather", {"city": "Paris"})
    model.add(call, Reply.text("It is sunny in Paris."))
    result = client.responses_create(prompt="Weather in Paris?")
    print("tool output the model got:", model.tool_output(call.call_id))
    print("answer:", result.text)
