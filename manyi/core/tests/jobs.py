"""Functions the worker test runs in a real worker process."""


def add(a: int, b: int) -> int:
    return a + b


def tick() -> str:
    return "tick"
