"""The conversation: dialog, language understanding, replies (arrives with the chat issue)."""
