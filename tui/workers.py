"""Helpers for thread workers: results go back as messages, never by touching widgets."""

from __future__ import annotations

from textual.message import Message
from textual.message_pump import MessagePump
from textual.worker import get_current_worker


def deliver(node: MessagePump, message: Message) -> None:
    """Post `message` unless this worker was superseded (exclusive workers are cancelled, not killed)."""
    if not get_current_worker().is_cancelled:
        node.post_message(message)
