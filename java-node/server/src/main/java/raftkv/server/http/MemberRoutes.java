package raftkv.server.http;

import io.javalin.http.Context;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import raftkv.core.ClusterConfig;
import raftkv.core.ConfigChange;
import raftkv.core.ConfigChangeResult;
import raftkv.core.Member;
import raftkv.server.EventLoop;
import raftkv.server.NodeConfig;
import raftkv.server.NodeStatus;
import raftkv.server.WriteOutcome;
import com.fasterxml.jackson.databind.JsonNode;
import raftkv.server.Json;
import raftkv.server.identity.IdentityGate;
import raftkv.server.identity.PinnedIncarnation;
import raftkv.storage.StoredIdentity;

/**
 * Membership changes (dissertation §4.1, one server at a time; §4.2.1 learners): {@code GET
 * /admin/members}, {@code POST /admin/members} (add a learner), {@code POST
 * /admin/members/{id}/promote}, {@code DELETE /admin/members/{id}}. Each change answers once its
 * configuration entry is committed, or with a definite error (nothing appended), or, if its entry's
 * fate is unknown at the deadline, an indefinite one — as a write does.
 */
final class MemberRoutes {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    private final NodeConfig config;
    private final EventLoop loop;
    private final IdentityGate identity;

    MemberRoutes(NodeConfig config, EventLoop loop, IdentityGate identity) {
        this.config = config;
        this.loop = loop;
        this.identity = identity;
    }

    /** {@code GET /admin/members}: the latest configuration this node knows (§4.1), with match indexes on the leader. */
    void list(Context ctx) {
        Map<String, Object> body = membersBody(loop.status());
        identity.member().ifPresent(m -> body.putAll(identityBody(m)));
        ctx.json(body);
    }

    /** The cluster's id and the incarnations of the members' data directories this node knows. */
    private static Map<String, Object> identityBody(StoredIdentity.Member member) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("clusterId", member.clusterId());
        Map<String, String> incarnations = new LinkedHashMap<>();
        member.incarnations().forEach((id, inc) -> incarnations.put(id, StoredIdentity.format(inc)));
        body.put("incarnations", incarnations);
        return body;
    }

    /**
     * {@code POST /admin/members} {@code {"id","clientUrl","peerUrl"}}, and optionally
     * {@code "incarnation"} (its data directory's, 16 hex digits; {@code --join} sends it): adds a
     * learner (§4.2.1), its incarnation pinned in the configuration ({@link PinnedIncarnation}).
     */
    void add(Context ctx) throws InterruptedException {
        JsonNode body;
        try {
            body = Json.MAPPER.readTree(ClientRequests.body(ctx));
        } catch (java.io.IOException e) {
            throw new ApiException(ErrorCode.INVALID_BODY, "the body must be a JSON object");
        }
        if (body == null || !body.isObject()) {
            throw new ApiException(ErrorCode.INVALID_BODY, "the body must be a JSON object");
        }
        for (var names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!java.util.Set.of("id", "clientUrl", "peerUrl", "incarnation").contains(name)) {
                throw new ApiException(ErrorCode.INVALID_BODY, "unexpected field '" + name + "'");
            }
        }
        String id = text(body, "id");
        if (!ID.matcher(id).matches()) {
            throw new ApiException(ErrorCode.INVALID_ID, "member ids are 1-64 characters of A-Z a-z 0-9 _ . -");
        }
        String peerUrl = url("peerUrl", text(body, "peerUrl"));
        if (body.has("incarnation")) {
            try {
                peerUrl = PinnedIncarnation.pin(peerUrl, StoredIdentity.parse(text(body, "incarnation")));
            } catch (IllegalArgumentException e) {
                throw new ApiException(ErrorCode.INVALID_BODY, e.getMessage());
            }
        }
        change(ctx, new ConfigChange.AddLearner(new Member(id, url("clientUrl", text(body, "clientUrl")), peerUrl)));
    }

    private static String text(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || !value.isTextual() || value.textValue().length() > 1024) {
            throw new ApiException(ErrorCode.INVALID_BODY, "field '" + field + "' must be a string (at most 1024"
                    + " characters)");
        }
        return value.textValue();
    }

    /** {@code POST /admin/members/{id}/promote}: makes a caught-up learner a voter. */
    void promote(Context ctx) throws InterruptedException {
        change(ctx, new ConfigChange.Promote(memberId(ctx)));
    }

    /** {@code DELETE /admin/members/{id}}: removes a voter or learner (the leader too, §4.2.2). */
    void remove(Context ctx) throws InterruptedException {
        change(ctx, new ConfigChange.Remove(memberId(ctx)));
    }

    private void change(Context ctx, ConfigChange change) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.requestTimeoutMs());
        EventLoop.MembershipChange pending = loop.changeMembers(change);
        ConfigChangeResult result;
        try {
            result = pending.accepted().get(config.requestTimeoutMs(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            // The loop's queue was full: the change never reached it.
            throw new ApiException(ErrorCode.OVERLOADED, "the event loop did not take the change; nothing was done");
        } catch (TimeoutException e) {
            // Queued but not yet handled: the loop may still propose it after we give up, so this is
            // no "nothing was done" (Jepsen :info, not :fail).
            throw new ApiException(ErrorCode.COMMIT_TIMEOUT, "the event loop did not handle the change within "
                    + config.requestTimeoutMs() + " ms; it is queued and may still be proposed (GET /admin/members"
                    + " shows the configuration)");
        }
        switch (result) {
            case ConfigChangeResult.NotLeader notLeader -> throw notLeader(notLeader.leaderHint());
            case ConfigChangeResult.Rejected rejected -> throw rejected(rejected);
            case ConfigChangeResult.Accepted accepted -> awaitCommit(ctx, change, accepted, pending, deadline);
        }
    }

    private void awaitCommit(Context ctx, ConfigChange change, ConfigChangeResult.Accepted accepted,
            EventLoop.MembershipChange pending, long deadline) throws InterruptedException {
        WriteOutcome outcome;
        try {
            outcome = pending.outcome().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new ApiException(ErrorCode.COMMIT_TIMEOUT, "the change was appended at index " + accepted.index()
                    + " but not committed in time; it may still commit (GET /admin/members shows the configuration)");
        }
        switch (outcome) {
            case WriteOutcome.Applied applied -> {
                awaitPublished(accepted.index(), deadline);
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("change", change.getClass().getSimpleName());
                body.put("id", change.id());
                body.put("index", accepted.index());
                body.putAll(configurationBody(accepted.configuration()));
                identity.member().ifPresent(m -> body.putAll(identityBody(m)));
                ctx.json(body);
            }
            case WriteOutcome.Superseded superseded -> throw new ApiException(ErrorCode.SUPERSEDED, "a new leader"
                    + " overwrote the change's entry at index " + accepted.index() + ": it never took effect");
            default -> throw new ApiException(ErrorCode.OUTCOME_UNKNOWN, "the change's entry at index "
                    + accepted.index() + " may or may not have committed (GET /admin/members shows the configuration)");
        }
    }

    /**
     * Waits (one loop turn, as a rule) until the status the loop publishes at the end of its turn has
     * applied the change: the loop answers a change in the turn it applies it, before it publishes,
     * and a {@code GET /admin/members} on this node right after the answer must already show it.
     */
    private void awaitPublished(long index, long deadline) throws InterruptedException {
        while (loop.status().lastApplied() < index && System.nanoTime() - deadline < 0) {
            Thread.sleep(1);
        }
    }

    private ApiException notLeader(String leaderHint) {
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("leader", leaderHint);
        extra.put("leaderUrl", leaderHint == null ? null : clientUrl(leaderHint));
        return new ApiException(ErrorCode.MISDIRECTED, config.id() + " is not the leader; send membership changes to"
                + " the leader" + (leaderHint == null ? " (none known yet)" : " " + leaderHint), extra);
    }

    private static ApiException rejected(ConfigChangeResult.Rejected rejected) {
        ErrorCode code = switch (rejected.reason()) {
            case CHANGE_IN_PROGRESS, NO_OP_NOT_COMMITTED, TRANSFERRING_LEADERSHIP -> ErrorCode.CHANGE_IN_PROGRESS;
            case UNKNOWN_MEMBER -> ErrorCode.UNKNOWN_MEMBER;
            case ALREADY_MEMBER -> ErrorCode.ALREADY_MEMBER;
            case WOULD_LEAVE_NO_QUORUM -> ErrorCode.WOULD_LEAVE_NO_QUORUM;
            case TOO_MANY_MEMBERS -> ErrorCode.TOO_MANY_MEMBERS;
            case NOT_CAUGHT_UP -> ErrorCode.NOT_CAUGHT_UP;
        };
        return new ApiException(code, rejected.detail() + " (" + rejected.reason().name().toLowerCase(java.util.Locale.ROOT)
                + "; nothing was changed)");
    }

    /** The client URL of member {@code id}, from the configuration or the command line. */
    private String clientUrl(String id) {
        return loop.status().configuration().member(id).map(Member::clientUrl).filter(u -> !u.isEmpty())
                .or(() -> java.util.Optional.ofNullable(config.members().get(id)).map(URI::toString)).orElse(null);
    }

    private static String memberId(Context ctx) {
        String id = ctx.pathParam("id");
        if (!ID.matcher(id).matches()) {
            throw new ApiException(ErrorCode.INVALID_ID, "member ids are 1-64 characters of A-Z a-z 0-9 _ . -");
        }
        return id;
    }

    private static String url(String field, String value) {
        URI uri;
        try {
            uri = URI.create(value);
        } catch (IllegalArgumentException e) {
            throw new ApiException(ErrorCode.INVALID_BODY, field + " must be http://HOST:PORT, got '" + value + "'");
        }
        if (!"http".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 0
                || uri.getRawFragment() != null || uri.getRawQuery() != null) {
            throw new ApiException(ErrorCode.INVALID_BODY, field + " must be http://HOST:PORT, got '" + value + "'");
        }
        return uri.toString();
    }

    static Map<String, Object> membersBody(NodeStatus status) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", status.id());
        body.put("leader", status.leader());
        body.put("term", status.term());
        body.putAll(configurationBody(status.configuration()));
        List<Map<String, Object>> all = new ArrayList<>();
        for (String key : List.of("voters", "learners")) {
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> members = (List<Map<String, Object>>) body.get(key);
            all.addAll(members);
        }
        for (Map<String, Object> member : all) {
            Long match = status.matchIndex().get((String) member.get("id"));
            if (match != null) {
                member.put("matchIndex", match);
            }
            if (status.lostData().contains((String) member.get("id"))) {
                member.put("lostData", true);
            }
        }
        return body;
    }

    private static Map<String, Object> configurationBody(ClusterConfig configuration) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("voters", members(configuration.voters()));
        body.put("learners", members(configuration.learners()));
        return body;
    }

    private static List<Map<String, Object>> members(List<Member> members) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (Member m : members) {
            Map<String, Object> member = new LinkedHashMap<>();
            member.put("id", m.id());
            member.put("clientUrl", m.clientUrl());
            member.put("peerUrl", m.peerUrl());
            list.add(member);
        }
        return list;
    }
}
