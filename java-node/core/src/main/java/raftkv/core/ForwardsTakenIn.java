package raftkv.core;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * A leader's record of the proposals its followers forwarded to it ({@link IncomingForwards}), kept
 * per member of the latest configuration for one leadership: it lives and dies with its
 * {@link Leader}. Which forwards were taken in already, so a copy is not appended twice; and the
 * highest index one was appended at, so the follower hears of the commit at once. What to send whom
 * and when (flow control) is {@link Progress}'s.
 */
final class ForwardsTakenIn {

    /**
     * Per follower and per boot of it (its incarnation), the highest forward id taken in; ids only
     * grow within one boot. One entry per boot seen during this leadership: a follower restarts rarely.
     */
    private final Map<String, Map<Long, Long>> lastIds = new HashMap<>();

    /** Per follower, the highest index at which a proposal it forwarded was appended; none if absent. */
    private final Map<String, Long> appendedUpTo = new HashMap<>();

    /**
     * True the first time forward {@code id} of {@code follower}'s boot {@code incarnation} arrives.
     * Each boot numbers its forwards in increasing order, so an id at or below one already taken from
     * the same boot is a duplicate (or was overtaken by a later one): appending it again would apply
     * a command without a session twice. It gets no answer; the follower gives it up as unknown.
     * Another boot's ids are its own: a follower whose clock stepped back, or whose counter started
     * again, is not mistaken for a duplicate. ({@link RulesForServers#stepLeader} hands the leader
     * messages from members of its latest configuration only.)
     */
    boolean firstDelivery(String follower, long incarnation, long id) {
        Map<Long, Long> ids = lastIds.computeIfAbsent(follower, f -> new HashMap<>());
        Long last = ids.get(incarnation);
        if (last != null && id <= last) {
            return false;
        }
        ids.put(incarnation, id);
        return true;
    }

    /** A proposal {@code follower} forwarded was appended at {@code index}. */
    void appended(String follower, long index) {
        appendedUpTo.merge(follower, index, Math::max);
    }

    /** The highest index at which a proposal {@code follower} forwarded was appended; 0 if none. */
    long appendedUpTo(String follower) {
        return appendedUpTo.getOrDefault(follower, 0L);
    }

    /** The latest configuration changed (§4.1): a member that left is forgotten, as its Progress is. */
    void forgetAllBut(Set<String> members) {
        lastIds.keySet().retainAll(members);
        appendedUpTo.keySet().retainAll(members);
    }
}
