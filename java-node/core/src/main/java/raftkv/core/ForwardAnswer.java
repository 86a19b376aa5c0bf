package raftkv.core;

/** The leader's answer to the proposal this node forwarded as {@code proposalId}. */
public record ForwardAnswer(long proposalId, ForwardOutcome outcome) {}
