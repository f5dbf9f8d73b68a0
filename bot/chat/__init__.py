"""Message → reply: understanding, the router, context, dialog state, replies."""
