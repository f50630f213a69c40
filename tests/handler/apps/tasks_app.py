"""Asynchronous tasks for the handler tests: Zappa's import path and hoist's."""
from zappa.asynchronous import task, task_sns

import hoist_tasks

ran = []


@task
def add(a, b):
    ran.append(("add", a, b))
    return a + b


@task(capture_response=True, remote_aws_region="eu-west-1")
def captured(x):
    ran.append(("captured", x))
    return {"x": x}


@task_sns
def notify(msg):
    ran.append(("notify", msg))
    return msg


@hoist_tasks.task(service="sns")
def hoisted(msg):
    ran.append(("hoisted", msg))


def boom():
    raise RuntimeError("task failed")


def plain(a, b=0):
    ran.append(("plain", a, b))
    return a - b
