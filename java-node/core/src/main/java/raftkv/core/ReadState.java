package raftkv.core;

/**
 * A read that may now be served (dissertation §6.4): the leader confirmed it was still leader after
 * the read arrived, so once the state machine has applied up to {@code readIndex} the local state
 * reflects every write that completed before the read began.
 */
public record ReadState(long requestId, long readIndex) {}
