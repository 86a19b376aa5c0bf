package raftkv.core;

import java.util.Collections;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The map Id => name of {@link KvStore}, able to hand out a point-in-time view of itself in O(1)
 * while it goes on taking writes: the "copy-on-write techniques" the dissertation suggests so that
 * a snapshot can be written "while the state machine continues to process client requests"
 * (§5.2), at the granularity of the whole map.
 *
 * <p>Normally every entry lives in one sorted map, the <em>base</em>. {@link #freeze()} hands the
 * base out and promises never to change it again; writes from then on go to an <em>overlay</em>
 * that records each changed key with its new name, or as deleted. Reads look in the overlay first,
 * then in the base. {@link #thaw()} folds the overlay back into the base, in O(overlay), once
 * whoever read the frozen base is done with it. At most one view is out at a time.
 *
 * <p>Not thread-safe, like {@link KvStore}: only the frozen base may be read by another thread. It is
 * safe to, because (1) nothing writes to it between {@link #freeze()} and {@link #thaw()} (writes go
 * to the overlay, and {@link #replace} installs a new base rather than changing the old one), and
 * (2) the owner hands it to the reader and takes the reader's completion back through something
 * that orders memory (an executor's hand-off, a queue): everything before the freeze happens-before
 * the reader's first read, and the reader's last read happens-before the thaw. Reading a
 * {@link TreeMap} changes nothing in it but lazily created views, which are idempotent.
 */
final class LayeredMap {

    private TreeMap<String, String> base = new TreeMap<>();
    // Non-null exactly while a view is out: the keys changed since, each to a name or to empty (deleted).
    private TreeMap<String, Optional<String>> overlay;
    private int size;

    /** The name of {@code id}, or null. */
    String get(String id) {
        if (overlay != null) {
            Optional<String> changed = overlay.get(id);
            if (changed != null) {
                return changed.orElse(null);
            }
        }
        return base.get(id);
    }

    /** Maps {@code id} to {@code name}; returns the name it had, or null. */
    String put(String id, String name) {
        String previous;
        if (overlay == null) {
            previous = base.put(id, name);
        } else {
            previous = get(id);
            overlay.put(id, Optional.of(name));
        }
        if (previous == null) {
            size++;
        }
        return previous;
    }

    /** Removes {@code id}; returns the name it had, or null. */
    String remove(String id) {
        if (overlay == null) {
            String previous = base.remove(id);
            if (previous != null) {
                size--;
            }
            return previous;
        }
        String previous = get(id);
        if (previous == null) {
            return null;
        }
        if (base.containsKey(id)) {
            overlay.put(id, Optional.empty()); // the frozen base still holds it: hide it
        } else {
            overlay.remove(id); // it was only ever in the overlay
        }
        size--;
        return previous;
    }

    int size() {
        return size;
    }

    boolean isFrozen() {
        return overlay != null;
    }

    /**
     * Hands out the map as it is now, read-only, and keeps it unchanged until {@link #thaw()}: O(1).
     *
     * @throws IllegalStateException if a view is out already
     */
    SortedMap<String, String> freeze() {
        if (overlay != null) {
            throw new IllegalStateException("a frozen view is out already");
        }
        overlay = new TreeMap<>();
        return Collections.unmodifiableSortedMap(base);
    }

    /**
     * The reader of the frozen view is done: folds the writes made since into the base, in
     * O(overlay). Does nothing if no view is out (a {@link #replace} dropped it).
     */
    void thaw() {
        if (overlay == null) {
            return;
        }
        for (Map.Entry<String, Optional<String>> change : overlay.entrySet()) {
            if (change.getValue().isPresent()) {
                base.put(change.getKey(), change.getValue().get());
            } else {
                base.remove(change.getKey());
            }
        }
        overlay = null;
    }

    /**
     * Replaces the whole map with {@code entries}, which this map owns from now on. A frozen view
     * that is out keeps the old base, which nothing changes any more; there is nothing to thaw.
     */
    void replace(TreeMap<String, String> entries) {
        base = entries;
        overlay = null;
        size = entries.size();
    }

    /** The entries in key order, the overlay's over the base's, from the first key after {@code after} (null: the first). */
    Iterator<Map.Entry<String, String>> entriesAfter(String after) {
        Iterator<Map.Entry<String, String>> below = Collections.unmodifiableSortedMap(
                after == null ? base : base.tailMap(after, false)).entrySet().iterator();
        if (overlay == null) {
            return below;
        }
        return new Merged(below, (after == null ? overlay : overlay.tailMap(after, false)).entrySet().iterator());
    }

    /** Two sorted iterators merged; where both hold a key, the overlay's entry wins (and a deletion hides it). */
    private static final class Merged implements Iterator<Map.Entry<String, String>> {
        private final Iterator<Map.Entry<String, String>> below;
        private final Iterator<Map.Entry<String, Optional<String>>> above;
        private Map.Entry<String, String> nextBelow;
        private Map.Entry<String, Optional<String>> nextAbove;
        private Map.Entry<String, String> next;

        Merged(Iterator<Map.Entry<String, String>> below, Iterator<Map.Entry<String, Optional<String>>> above) {
            this.below = below;
            this.above = above;
            nextBelow = below.hasNext() ? below.next() : null;
            nextAbove = above.hasNext() ? above.next() : null;
            advance();
        }

        private void advance() {
            next = null;
            while (next == null && (nextBelow != null || nextAbove != null)) {
                int order = nextBelow == null ? 1 : nextAbove == null ? -1
                        : nextBelow.getKey().compareTo(nextAbove.getKey());
                if (order < 0) {
                    next = Map.entry(nextBelow.getKey(), nextBelow.getValue());
                    nextBelow = below.hasNext() ? below.next() : null;
                    continue;
                }
                if (order == 0) {
                    nextBelow = below.hasNext() ? below.next() : null; // overridden by the overlay
                }
                if (nextAbove.getValue().isPresent()) {
                    next = Map.entry(nextAbove.getKey(), nextAbove.getValue().get());
                }
                nextAbove = above.hasNext() ? above.next() : null;
            }
        }

        @Override
        public boolean hasNext() {
            return next != null;
        }

        @Override
        public Map.Entry<String, String> next() {
            if (next == null) {
                throw new NoSuchElementException();
            }
            Map.Entry<String, String> result = next;
            advance();
            return result;
        }
    }
}
