(ns jepsen.raftkv.member
  "The member nemesis (after jepsen-io/etcd's): grows and shrinks the cluster among the test's
  nodes, never below three voters (jepsen.raftkv.membership decides which change).

    shrink n:  DELETE /admin/members/n through a member (the leader too may go); once the
               committed configuration lacks n, raftkv on n is stopped and its data wiped.
    grow n:    n (no member; stopped and wiped) starts with --join through the leader; once the
               committed configuration lists it as a learner, POST .../promote until the leader
               takes it (422 not_caught_up while the learner catches up).
    settle n:  a learner left over from a grow whose promotion did not happen: promote it, or
               if it cannot be, remove it.

  Every destructive step waits for the configuration it relies on to be committed: the view is
  read from the leader, then its commit index must reach the last index it had when asked (in the
  same term). A node is only ever wiped when it is no member of a committed configuration.

  Each op completes :info with what happened: {:action, :node, :outcome, :changes [the committed
  configuration entries, e.g. :add-learner :promote], :voters, :learners, :answers}. The final
  op ({:action :final}) settles any learner and records the membership the convergence check
  compares."
  (:require [clojure.tools.logging :refer [info warn]]
            [jepsen [control :as c]
                    [nemesis :as n]
                    [util :as util]]
            [jepsen.raftkv [db :as db]
                           [http :as http]
                           [membership :as membership]]))

(def view-timeout-s
  "How long to look for a leader whose configuration is committed."
  20)

(def join-timeout-s
  "How long a joining node has to show up as a learner (its --join retries for 60 s)."
  75)

(def promote-timeout-s
  "How long a learner has to catch up before it is given up on."
  60)

(defn- now-s [] (/ (System/nanoTime) 1e9))

(defn- leader-of
  "The node that leads in the highest term any node reports, or nil."
  [test]
  (first (db/primaries test)))

(defn committed-view
  "Once: the leader's membership, if its configuration is committed within a few seconds. Returns
  {:leader, :voters, :learners} or nil."
  [test]
  (when-let [leader (leader-of test)]
    (let [token (:cluster-token test)
          {:keys [status body]} (http/admin! leader token "GET" "/admin/members" nil)
          st (http/status leader 1000)]
      (when (and (= 200 status) (map? body) (http/leader-status? st))
        (let [deadline (+ (now-s) 5)
              last-index (get st "lastIndex")
              term (get st "term")]
          (loop []
            (let [now (http/status leader 1000)]
              (cond
                (not (and (http/leader-status? now) (= term (get now "term")))) nil
                (>= (get now "commitIndex" -1) last-index)
                {:leader   leader
                 :voters   (http/member-ids (get body "voters"))
                 :learners (http/member-ids (get body "learners"))}
                (< (now-s) deadline) (do (Thread/sleep 100) (recur))
                :else nil))))))))

(defn await-view
  "A committed view (see committed-view) satisfying pred, polling until timeout-s: the view, or
  {:timed-out true, :last last-view-seen}."
  [test timeout-s pred]
  (let [deadline (+ (now-s) timeout-s)]
    (loop [last-view nil]
      (let [v (committed-view test)]
        (cond
          (and v (pred v)) v
          (< (now-s) deadline) (do (Thread/sleep 500) (recur (or v last-view)))
          :else {:timed-out true, :last last-view})))))

(defn- on-node!
  "Runs (f) on node over SSH; returns its value or {:error text}."
  [test node f]
  (try
    (get (c/on-nodes test [node] (fn [_ _] (f))) node)
    (catch Exception e
      (warn e "member nemesis: on" node)
      {:error (str (.getName (class e)) ": " (.getMessage e))})))

(defn- stop-and-wipe!
  "Stops raftkv on node and wipes its data; from now on the kill nemesis leaves it down."
  [test node]
  (swap! (:registry (:db test)) assoc node :out)
  (on-node! test node (fn [] (db/stop-any-instance!) (db/wipe!) :wiped)))

(defn- answer
  "An HTTP answer, short, for the history."
  [{:keys [node status body error]}]
  (cond-> {:node node, :status status}
    error (assoc :error error)
    (get body "error") (assoc :error (get body "error"))))

(defn- view-fields
  [v]
  (select-keys v [:voters :learners :leader]))

(defn- promote!
  "Promotes learner node until a committed view lists it as a voter, retrying the answers that
  say to retry. Returns {:promoted? bool, :answers [...], :view v}."
  [test node]
  (let [token (:cluster-token test)
        deadline (+ (now-s) promote-timeout-s)]
    (loop [answers []]
      (let [leader (or (leader-of test) node)
            a (http/admin! leader token "POST" (str "/admin/members/" node "/promote") nil)
            answers (conj (vec (take-last 4 answers)) (answer a))
            v (when (or (= 200 (:status a)) (nil? (:status a)) (<= 500 (:status a) 599))
                (await-view test 10 #(some #{node} (:voters %))))]
        (cond
          (and v (not (:timed-out v))) {:promoted? true, :answers answers, :view v}
          (< (now-s) deadline) (do (Thread/sleep 500) (recur answers))
          :else {:promoted? false, :answers answers})))))

(defn- remove!
  "Removes node from the configuration; once a committed view lacks it, stops and wipes it.
  Returns the op value's fields."
  [test node]
  (let [token (:cluster-token test)
        leader (or (leader-of test) node)
        a (http/admin! leader token "DELETE" (str "/admin/members/" node) nil)
        v (await-view test view-timeout-s #(not (contains? (membership/members %) node)))]
    (if (:timed-out v)
      {:outcome :not-removed, :changes [], :answers [(answer a)]
       :voters (:voters (:last v)), :learners (:learners (:last v))}
      (let [wiped (stop-and-wipe! test node)]
        (merge {:outcome :removed, :changes [:remove], :answers [(answer a)], :wiped wiped}
               (view-fields v))))))

(defn grow!
  "Starts node with --join through the leader; once it is a learner of a committed configuration,
  promotes it."
  [test view node]
  (let [via (:leader view)]
    ; It is no member of the committed configuration: stopping and wiping it is safe.
    (on-node! test node (fn [] (db/stop-any-instance!) (db/wipe!)))
    (swap! (:registry (:db test)) assoc node {:join via})
    (let [started (on-node! test node (fn [] (db/start! test node {:join via})))
          joined (await-view test join-timeout-s #(contains? (membership/members %) node))]
      (if (:timed-out joined)
        ; Never added: a committed configuration without it, so wiping it is safe.
        (let [wiped (stop-and-wipe! test node)]
          {:outcome :join-failed, :changes [], :started started, :wiped wiped
           :voters (:voters (:last joined)), :learners (:learners (:last joined))})
        (let [{:keys [promoted? answers view]} (promote! test node)]
          (if promoted?
            (merge {:outcome :voter, :changes [:add-learner :promote], :via via, :answers answers}
                   (view-fields view))
            (merge {:outcome :learner, :changes [:add-learner], :via via, :answers answers}
                   (view-fields joined))))))))

(defn settle!
  "A learner left over: promote it (starting it if it is down), else remove it."
  [test node]
  (let [{:keys [promoted? answers view]} (promote! test node)]
    (if promoted?
      (merge {:outcome :voter, :changes [:promote], :answers answers} (view-fields view))
      (update (remove! test node) :answers #(into answers %)))))

(defn change!
  "One membership change, decided from the committed view. Returns the op's :value."
  [test]
  (let [view (committed-view test)
        choice (membership/decide (:nodes test) view rand-nth rand-nth)
        node (:node choice)]
    (info "member nemesis:" choice "from" view)
    (merge choice
           (case (:action choice)
             :none   {:outcome :nothing-to-do, :changes [], :reason (if view "no change possible" "no leader with a committed configuration")}
             :grow   (grow! test view node)
             :shrink (remove! test node)
             :settle (settle! test node)))))

(defn final!
  "After the faults are healed: settles any learner, then records the committed membership (the
  members the convergence check reads)."
  [test]
  (let [view (await-view test 60 some?)
        settled (when-let [l (first (:learners view))]
                  (assoc (settle! test l) :node l))
        view (if settled (await-view test 60 some?) view)]
    (merge {:action :final, :changes (:changes settled [])}
           (when settled {:settled settled})
           (if (:timed-out view)
             {:outcome :no-committed-view}
             (merge {:outcome :read} (view-fields view))))))

(defrecord MemberNemesis []
  n/Reflection
  (fs [_] #{:member})

  n/Nemesis
  (setup! [this _test] this)

  (invoke! [_ test op]
    (assoc op :value (if (= :final (:value op))
                       (final! test)
                       (change! test))))

  (teardown! [_ _test]))

(defn package
  "The member nemesis package: its ops come from the schedule (jepsen.raftkv.nemesis); the final
  generator settles and records the membership."
  []
  {:nemesis         (->MemberNemesis)
   :final-generator {:type :info, :f :member, :value :final}
   :perf            #{{:name "member", :fs #{:member}, :color "#A0E9E3"}}})
