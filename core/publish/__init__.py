"""Publishing: connected accounts (OAuth, encrypted tokens) and uploads to YouTube and TikTok."""
