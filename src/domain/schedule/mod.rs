//! Schedules: when a stretch of the day is posted.
