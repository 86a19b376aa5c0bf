package raftkv.core;

/** What a leader did with a proposal a follower forwarded to it ({@link Message.ForwardedProposal}). */
public sealed interface ForwardOutcome {

    /**
     * Appended at {@code index} in {@code term}: as for a local proposal, it takes effect if and only
     * if the entry committed at {@code index} carries {@code term}.
     */
    record Appended(long index, long term) implements ForwardOutcome {}

    /**
     * Not appended, and never will be: the recipient never led the sender's term, or leads it and is
     * handing leadership over (§3.10). A node that may have appended the forward never says this; it
     * stays silent. {@code leaderHint} (may be null) is whom to ask instead.
     */
    record Refused(String leaderHint) implements ForwardOutcome {}
}
