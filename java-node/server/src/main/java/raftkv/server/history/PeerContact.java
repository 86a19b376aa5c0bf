package raftkv.server.history;

import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * When this node last heard from each peer: told by the peer routes on every message that arrives
 * (any thread), read by the event loop's onlookers. A peer never heard from reads {@link #NEVER}.
 * The peers are the other members of the latest configuration (§4.1): {@link #track} follows it, so
 * the map holds no more ids than the configuration does.
 */
public final class PeerContact {

    public static final long NEVER = Long.MIN_VALUE;

    private final Map<String, AtomicLong> lastHeard = new ConcurrentSkipListMap<>();
    private final LongSupplier nanoClock;

    public PeerContact(Collection<String> peers, LongSupplier nanoClock) {
        peers.forEach(peer -> lastHeard.put(peer, new AtomicLong(NEVER)));
        this.nanoClock = nanoClock;
    }

    /**
     * The peers are {@code peers} from now on (a new configuration, §4.1): one added is never heard
     * from yet, one removed is forgotten. Called by the event loop's onlooker.
     */
    public void track(Collection<String> peers) {
        lastHeard.keySet().retainAll(new HashSet<>(peers));
        peers.forEach(peer -> lastHeard.putIfAbsent(peer, new AtomicLong(NEVER)));
    }

    /** A message from {@code peer} arrived now; an unknown id is ignored. */
    public void heard(String peer) {
        AtomicLong at = lastHeard.get(peer);
        if (at != null) {
            at.set(nanoClock.getAsLong());
        }
    }

    /** The {@code nanoClock} reading of the last message from {@code peer}, or {@link #NEVER}. */
    public long lastHeard(String peer) {
        AtomicLong at = lastHeard.get(peer);
        return at == null ? NEVER : at.get();
    }

    public Collection<String> peers() {
        return lastHeard.keySet();
    }

    public long now() {
        return nanoClock.getAsLong();
    }
}
