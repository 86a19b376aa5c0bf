package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link ProposalResult#ifNotTaken}: the caller answers at once exactly when nothing was appended or forwarded. */
class ProposalResultTest {

    private static List<String> answered(ProposalResult result) {
        List<String> hints = new ArrayList<>();
        result.ifNotTaken(hints::add);
        return hints;
    }

    @Test
    void aFollowerThatKnowsNoLeaderAnswersNotLeaderWithItsHint() {
        assertThat(answered(new ProposalResult.NotLeader("n2"))).containsExactly("n2");
        assertThat(answered(new ProposalResult.NotLeader(null))).containsExactly((String) null);
    }

    @Test
    void aLeaderHandingOverNamesTheTransferee_3_10() {
        assertThat(answered(new ProposalResult.TransferringLeadership("n3"))).containsExactly("n3");
    }

    @Test
    void anAppendedOrForwardedProposalIsAnsweredLaterNotNow() {
        assertThat(answered(new ProposalResult.Appended(5, 2))).isEmpty();
        assertThat(answered(new ProposalResult.Forwarded(7, "n1"))).isEmpty();
    }
}
