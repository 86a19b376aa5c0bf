package raftkv.core;

/** The roles of §5.1, plus the pre-candidate of PreVote (dissertation §9.6). */
public enum Role {
    FOLLOWER,
    PRE_CANDIDATE,
    CANDIDATE,
    LEADER
}
