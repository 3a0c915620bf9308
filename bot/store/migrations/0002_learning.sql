-- Practice and review answers, and each member's spaced-repetition cards.
CREATE TABLE study_answers (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    dilemma_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('practice', 'review')),
    choice TEXT NOT NULL,
    correct INTEGER NOT NULL,
    answered_at TEXT NOT NULL
);
CREATE INDEX study_answers_by_member ON study_answers (member_id, topic);

CREATE TABLE review_cards (
    member_id INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    dilemma_id TEXT NOT NULL,
    card TEXT NOT NULL,
    due_at TEXT NOT NULL,
    reviews INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (member_id, dilemma_id)
) WITHOUT ROWID;
CREATE INDEX review_cards_due ON review_cards (member_id, due_at);
