-- Channels, members, posts, votes, awards and the aggregates the leaderboard and stats read.
CREATE TABLE channels (
    id INTEGER PRIMARY KEY,
    platform TEXT NOT NULL,
    workspace TEXT NOT NULL,
    channel TEXT NOT NULL,
    tz TEXT NOT NULL DEFAULT 'UTC',
    post_time TEXT,
    reveal_time TEXT,
    reveal_minutes INTEGER,
    days TEXT NOT NULL DEFAULT 'mon,tue,wed,thu,fri,sat,sun',
    topics TEXT NOT NULL DEFAULT '',
    difficulty INTEGER,
    paused INTEGER NOT NULL DEFAULT 0,
    settings TEXT NOT NULL DEFAULT '{}',
    schedule_updated_at TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (platform, workspace, channel)
);

CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    platform TEXT NOT NULL,
    workspace TEXT NOT NULL,
    user_id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    hidden INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    UNIQUE (platform, workspace, user_id)
);

CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    channel_id INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    dilemma_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('scheduled', 'manual')),
    local_date TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('reserved', 'open', 'closed', 'revealed', 'failed', 'skipped', 'dropped')),
    created_at TEXT NOT NULL,
    posted_at TEXT,
    reveal_at TEXT NOT NULL,
    revealed_at TEXT,
    reveal_published_at TEXT,
    message_ref TEXT,
    thread_ref TEXT,
    best_letter TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
);
-- Exactly one scheduled post per channel per local date.
CREATE UNIQUE INDEX posts_one_scheduled_a_day ON posts (channel_id, local_date) WHERE kind = 'scheduled';
CREATE INDEX posts_by_channel ON posts (channel_id, local_date);
CREATE INDEX posts_due ON posts (state, reveal_at) WHERE state IN ('open', 'closed') OR reveal_published_at IS NULL;

CREATE TABLE votes (
    post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    choice TEXT NOT NULL,
    previous_choice TEXT,
    changes INTEGER NOT NULL DEFAULT 0,
    first_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (post_id, member_id)
) WITHOUT ROWID;
CREATE INDEX votes_by_member ON votes (member_id);

CREATE TABLE awards (
    post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    channel_id INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    choice TEXT NOT NULL,
    correct INTEGER NOT NULL,
    points INTEGER NOT NULL,
    streak_bonus INTEGER NOT NULL,
    PRIMARY KEY (post_id, member_id)
) WITHOUT ROWID;
CREATE INDEX awards_by_member ON awards (channel_id, member_id);
CREATE INDEX awards_by_member_anywhere ON awards (member_id);

-- Points per channel, member and period ('all', 'M2026-11', 'W2026-48' in the channel's local calendar),
-- kept up to date at each reveal so a leaderboard is an index range scan.
CREATE TABLE score_totals (
    channel_id INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    period TEXT NOT NULL,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    points INTEGER NOT NULL,
    correct INTEGER NOT NULL,
    answered INTEGER NOT NULL,
    PRIMARY KEY (channel_id, period, member_id)
) WITHOUT ROWID;
CREATE INDEX score_totals_ranked ON score_totals (channel_id, period, points DESC);
CREATE INDEX score_totals_by_member ON score_totals (member_id);

CREATE TABLE streaks (
    channel_id INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    current INTEGER NOT NULL,
    best INTEGER NOT NULL,
    last_date TEXT,
    PRIMARY KEY (channel_id, member_id)
) WITHOUT ROWID;
CREATE INDEX streaks_by_member ON streaks (member_id);

-- The group's answers per topic, for "you against the group" in stats.
CREATE TABLE topic_totals (
    channel_id INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    topic TEXT NOT NULL,
    correct INTEGER NOT NULL,
    answered INTEGER NOT NULL,
    PRIMARY KEY (channel_id, topic)
) WITHOUT ROWID;
