package raftkv.server.transport;

import java.util.Arrays;
import java.util.Optional;
import raftkv.core.Message;

/** The URL name of each peer message: {@code POST /raft/append-entries} and so on. */
public enum MessageType {
    PRE_VOTE("pre-vote", Message.PreVote.class),
    PRE_VOTE_REPLY("pre-vote-reply", Message.PreVoteReply.class),
    REQUEST_VOTE("request-vote", Message.RequestVote.class),
    REQUEST_VOTE_REPLY("request-vote-reply", Message.RequestVoteReply.class),
    APPEND_ENTRIES("append-entries", Message.AppendEntries.class),
    APPEND_ENTRIES_REPLY("append-entries-reply", Message.AppendEntriesReply.class),
    INSTALL_SNAPSHOT("install-snapshot", Message.InstallSnapshot.class),
    INSTALL_SNAPSHOT_REPLY("install-snapshot-reply", Message.InstallSnapshotReply.class),
    TIMEOUT_NOW("timeout-now", Message.TimeoutNow.class),
    FORWARDED_PROPOSAL("forwarded-proposal", Message.ForwardedProposal.class),
    FORWARDED_PROPOSAL_REPLY("forwarded-proposal-reply", Message.ForwardedProposalReply.class),
    READ_INDEX_REQUEST("read-index-request", Message.ReadIndexRequest.class),
    READ_INDEX_REPLY("read-index-reply", Message.ReadIndexReply.class);

    private final String path;
    private final Class<? extends Message> type;

    MessageType(String path, Class<? extends Message> type) {
        this.path = path;
        this.type = type;
    }

    public String path() {
        return path;
    }

    public Class<? extends Message> type() {
        return type;
    }

    public static MessageType of(Message message) {
        return Arrays.stream(values()).filter(t -> t.type == message.getClass()).findFirst().orElseThrow();
    }

    public static Optional<MessageType> fromPath(String path) {
        return Arrays.stream(values()).filter(t -> t.path.equals(path)).findFirst();
    }
}
