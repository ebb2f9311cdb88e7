//! The domain core: what stretchbot knows about stretches, schedules and timers, with no Discord, storage
//! or async runtime in sight. Everything here is plain data and pure functions of it; the current time is
//! always passed in, never read.

pub mod catalog;
pub mod participation;
pub mod pose;
pub mod posting;
pub mod reminder;
pub mod rotation;
pub mod schedule;
pub mod store;
pub mod timer_plan;
pub mod timer_run;
