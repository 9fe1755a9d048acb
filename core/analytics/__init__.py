"""Analytics: metric snapshots collected from YouTube and TikTok, growth read from them, charts.

Every number shown comes from a stored `MetricSnapshot`; nothing is interpolated or made up.
When a platform has no data yet, the reply says so plainly.
"""
