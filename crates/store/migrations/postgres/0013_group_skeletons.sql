-- Group-name skeletons are now taken before lower-casing as well as after (Cyrillic capitals that
-- look Latin); clearing them makes the server compute them again with the new rule at start.
UPDATE user_groups SET name_skeleton = NULL;
