package raftkv.storage.fs;

import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * What a simulated power loss does to the bytes written to a file since its last fsync. Those bytes
 * are cut into 4096-byte pages at file offsets that are multiples of 4096, and the kernel may have
 * written any subset of them back to the disk before the power went: each page independently survives
 * or is lost. See {@link StrictMemFileSystem#crash(TearPolicy)}.
 */
public sealed interface TearPolicy {

    int PAGE_SIZE = 4096;

    /** No unsynced page survives: every file is exactly as it was at its last fsync. */
    record DropAllUnsynced() implements TearPolicy {}

    /** The unsynced pages with these numbers (page n covers offsets [n*4096, (n+1)*4096)) survive. */
    record KeepPages(Set<Long> pages) implements TearPolicy {
        public KeepPages {
            pages = Set.copyOf(pages);
        }
    }

    /** Each unsynced page survives with probability 1/2, drawn from {@code random} (seed it to replay). */
    record RandomPages(RandomGenerator random) implements TearPolicy {}

    default boolean survives(long page) {
        return switch (this) {
            case DropAllUnsynced drop -> false;
            case KeepPages keep -> keep.pages().contains(page);
            case RandomPages random -> random.random().nextBoolean();
        };
    }
}
