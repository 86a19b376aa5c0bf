package raftkv.core;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Small helpers to drive one RaftNode by hand in tests and see exactly what it asks for. */
final class Harness {

    static final List<String> FIVE = List.of("n1", "n2", "n3", "n4", "n5");
    static final List<String> THREE = List.of("n1", "n2", "n3");

    private Harness() {}

    static RaftConfig config(String id, List<String> members, Bug... bugs) {
        RaftConfig config = RaftConfig.of(id, members).withTiming(10, 20, 2);
        return bugs.length == 0 ? config : config.withBugs(java.util.Set.of(bugs));
    }

    static RaftNode node(String id, List<String> members, Bug... bugs) {
        return RaftNode.create(config(id, members, bugs), new SplittableRandom(42));
    }

    static RaftNode restarted(String id, List<String> members, HardState hs, List<LogEntry> log, Bug... bugs) {
        return RaftNode.restart(config(id, members, bugs), hs, log, new SplittableRandom(42));
    }

    /** Takes the Ready and acknowledges it, as a driver that persisted and sent everything would. */
    static Ready drain(RaftNode node) {
        Ready ready = node.ready();
        node.advance();
        return ready;
    }

    static void tick(RaftNode node, int times) {
        for (int i = 0; i < times; i++) {
            node.tick();
        }
    }

    /** Ticks until the node's election timer fires (at most the maximum timeout). */
    static Ready tickUntilCampaign(RaftNode node) {
        List<Message> sent = new ArrayList<>();
        for (int i = 0; i < node.config().electionTimeoutMaxTicks(); i++) {
            node.tick();
            Ready ready = drain(node);
            sent.addAll(ready.messages());
            if (!ready.messages().isEmpty()) {
                return ready;
            }
        }
        throw new AssertionError("node never campaigned");
    }

    static <T extends Message> List<T> sent(Ready ready, Class<T> type) {
        return ready.messages().stream().filter(type::isInstance).map(type::cast).toList();
    }

    static LogEntry entry(long term, long index) {
        return new LogEntry(term, index, new Command.Put("k" + index, "v" + index), null);
    }

    static List<LogEntry> entries(long... terms) {
        List<LogEntry> list = new ArrayList<>();
        for (int i = 0; i < terms.length; i++) {
            list.add(entry(terms[i], i + 1));
        }
        return list;
    }

    /**
     * Makes {@code n1} leader of {@code members} in term {@code currentTerm + 1} by feeding it
     * PreVote and vote grants, and drains the Ready that carries its first AppendEntries.
     */
    static Ready elect(RaftNode n1) {
        tickUntilCampaign(n1);
        long nextTerm = n1.currentTerm() + 1;
        for (String peer : n1.config().members()) {
            if (!peer.equals(n1.id()) && n1.role() == Role.PRE_CANDIDATE) {
                n1.step(new Message.PreVoteReply(nextTerm, peer, n1.id(), true));
            }
        }
        drain(n1);
        for (String peer : n1.config().members()) {
            if (!peer.equals(n1.id()) && n1.role() == Role.CANDIDATE) {
                n1.step(new Message.RequestVoteReply(n1.currentTerm(), peer, n1.id(), true));
            }
        }
        if (n1.role() != Role.LEADER) {
            throw new AssertionError("not elected: " + n1.status());
        }
        return drain(n1);
    }

    static Message.AppendEntriesReply ack(RaftNode leader, String from, long matchIndex, long round) {
        return new Message.AppendEntriesReply(leader.currentTerm(), from, leader.id(), true, matchIndex, 0, 0, round);
    }
}
