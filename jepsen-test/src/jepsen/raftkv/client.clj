(ns jepsen.raftkv.client
  "The Jepsen client for raftkv: sessions, operations, the final reads.

  How a response or an exception becomes :ok/:fail/:info is jepsen.raftkv.outcome; the requests
  themselves are jepsen.raftkv.http.

  Each Jepsen process opens its own client (Jepsen replaces the client when a process crashes
  with :info), and each client is a raftkv session: before its first mutation it opens one with
  POST /sessions, which issues the X-Client-Id; X-Client-Seq increases with every mutation, so the
  node applies any retried command at most once. If opening the session fails, the op is :fail
  (the op itself was never sent) and the next mutation tries again; after session_expired the
  next mutation opens a new session."
  (:require [clojure.tools.logging :refer [info warn]]
            [jepsen [client :as client]
                    [independent :as independent]]
            [jepsen.raftkv [http :as http]
                           [outcome :as outcome]]))

;; ---------------------------------------------------------------------------------------------
;; The Jepsen client

(defn- session-headers
  [client-id ^clojure.lang.Atom seq-counter]
  {"X-Client-Id"  client-id
   "X-Client-Seq" (swap! seq-counter inc)})

(defn ensure-session!
  "The client's session id, opening a session first if it has none. Returns {:client-id id}, or a
  :fail outcome if the session could not be opened."
  [{:keys [http node opts client-id seq-counter]}]
  (if-let [id @client-id]
    {:client-id id}
    (let [outcome (try
                    (outcome/open-session-outcome
                      (http/request! http (http/node-url node) http/open-session-request {} (:request-timeout-ms opts)))
                    (catch Exception e
                      (if-let [[kind _] (outcome/exception-class e)]
                        {:type :fail, :error [:open-session kind (or (.getMessage e) (.getName (class e)))]}
                        (throw e))))]
      (when-let [id (:client-id outcome)]
        (reset! client-id id)
        (reset! seq-counter 0))
      outcome)))

(defn- perform-request
  "Sends one request and maps whatever happens to an outcome."
  [http base-url f req headers timeout-ms]
  (try
    (outcome/response->outcome f (http/request! http base-url req headers timeout-ms))
    (catch Exception e
      (or (outcome/exception->outcome f e)
          (throw e)))))

(defn perform
  "Sends the request (for a whole-map read, one per page, following \"next\" until it is null)
  and maps whatever happens to an outcome."
  [http base-url f req headers timeout-ms]
  (if (outcome/paginated-fs f)
    (loop [after nil, so-far nil]
      (let [page    (perform-request http base-url f (outcome/page-request req after) headers timeout-ms)
            outcome (outcome/merge-pages so-far page after)]
        (if (and (= :ok (:type outcome)) (:next outcome))
          (recur (:next outcome) outcome)
          (dissoc outcome :next))))
    (perform-request http base-url f req headers timeout-ms)))

(defn settled-commit
  "The commit index of a leader whose whole log (lastIndex) is committed in its own
  term, else nil. Only then can the commit index no longer grow without new client writes: a
  leader that was just elected may still commit entries of earlier terms (with its own first
  entry, §5.4.2), so its commit index is not yet the final one, and nodes compared against it
  could be read at different points of the log."
  [leader-status]
  (let [{:strs [term commitIndex lastIndex lastLogTerm]} leader-status]
    (when (and (http/leader-status? leader-status) (number? commitIndex)
               (= commitIndex lastIndex) (= term lastLogTerm))
      commitIndex)))

(defn caught-up?
  "Has a node that applied up to last-applied caught up with the commit index its leader reports?
  Both must be known."
  [last-applied leader-commit]
  (boolean (and (number? last-applied) (number? leader-commit) (>= last-applied leader-commit))))

(defn final-read!
  "Reads the node's own map (GET /debug/kv, never forwarded) once the node has applied everything
  its leader has committed and the leader's log is settled (see settled-commit), retrying until
  then or until the final-read timeout passes: after the faults are healed, every node must catch
  up, and all of them are then read at the same commit index. A node that never does is recorded
  as a failed read, which fails the convergence check."
  [{:keys [http opts]} test op]
  (let [node      (or (:node op) (:node opts))
        req       (http/op->request :final-read nil nil)
        deadline  (+ (System/nanoTime)
                     (* 1000000 1000 (:final-read-timeout test 30)))
        timeout   (:request-timeout-ms opts)]
    (loop [attempt 1]
      (let [leader  (get (http/status node timeout) "leader")
            commit  (when leader (settled-commit (http/status leader timeout)))
            outcome (perform http (http/node-url node) :final-read req {} timeout)
            done?   (and (= :ok (:type outcome)) (caught-up? (:last-applied outcome) commit))]
        (cond
          done?
          (merge op outcome {:node node, :attempts attempt, :leader-commit commit})

          (< deadline (System/nanoTime))
          (merge op {:type :fail, :node node, :attempts attempt
                     :error {:not-caught-up {:last-applied (:last-applied outcome)
                                             :leader leader, :leader-commit commit
                                             :last-outcome (:type outcome)}}})

          :else
          (do (Thread/sleep 500)
              (recur (inc attempt))))))))

(defn- invoke-op!
  "Performs op and returns its completion."
  [{:keys [node http client-id seq-counter opts] :as this} test op]
  (if (= :final-read (:f op))
    (final-read! this test op)
    ; Register ops carry [key value] tuples (jepsen.independent); set ops a bare value.
    (let [tuple?  (independent/tuple? (:value op))
          [k v]   (if tuple? (:value op) [nil (:value op)])
          f       (:f op)
          req     (http/op->request f k v)
          session (when (:mutation? req) (ensure-session! this))]
      (if (:type session)
        (merge op session)
        (let [headers (when session (session-headers (:client-id session) seq-counter))
              ; An op may name its node (the final reads of the set workload go through each).
              target  (or (:node op) node)
              outcome (perform http (http/node-url target) f req headers (:request-timeout-ms opts))]
          (when (outcome/session-expired? outcome)
            (reset! client-id nil))
          (cond-> (merge op (dissoc outcome :value))
            (contains? outcome :value)
            (assoc :value (if tuple?
                            (independent/tuple k (:value outcome))
                            (:value outcome)))))))))

(defrecord Client [node http client-id seq-counter opts]
  client/Client
  (open! [this test node]
    (let [opts (merge http/default-timeouts
                      (select-keys test [:connect-timeout-ms :request-timeout-ms :unreachable-backoff-ms])
                      {:node node})]
      (assoc this
             :node        node
             :opts        opts
             :http        (http/http-client opts)
             :client-id   (atom nil)
             :seq-counter (atom 0))))

  (setup! [this test])

  (invoke! [this test op]
    (let [result (invoke-op! this test op)]
      (when (outcome/unreachable? result)
        (Thread/sleep (long (:unreachable-backoff-ms opts))))
      result))

  (teardown! [this test])

  (close! [this test]
    (http/close-http! http)))

(defn client
  "A fresh, unopened raftkv client."
  []
  (map->Client {}))
