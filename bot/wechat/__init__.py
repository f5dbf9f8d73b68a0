"""WeChat's protocol both ways: the webhook and de-duplication in, the client and sender out."""
