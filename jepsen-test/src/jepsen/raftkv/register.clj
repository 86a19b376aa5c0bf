(ns jepsen.raftkv.register
  "The register workload: many independent keys, each a linearizable compare-and-set register of
  small integers, checked by Knossos; then, once the faults are healed, the convergence check:
  the whole map read through every node must be identical on all of them.

  Operations (jepsen.independent tuples [key value]):

    {:f :read,  :value [k nil]}     GET  /kv/k            -> [k 3] or [k :absent]
    {:f :write, :value [k 3]}       PUT  /kv/k            {\"name\": \"3\"}
    {:f :cas,   :value [k [3 4]]}   POST /kv/k/cas        {\"expected\": \"3\", \"name\": \"4\"}

  and in the final phase, one per node:

    {:f :final-read, :node \"n3\"}   GET /debug/kv on n3 (page by page) -> :value {k v, ...}"
  (:require [clojure.set :as set]
            [clojure.tools.logging :refer [info warn]]
            [jepsen [checker :as checker]
                    [generator :as gen]
                    [history :as h]
                    [independent :as independent]]
            [jepsen.checker.timeline :as timeline]
            [jepsen.raftkv [client :as client]
                           [db :as db]
                           [membership :as membership]
                           [outcome :as outcome]]
            [knossos.model :as model]))

(def register-fs #{:read :write :cas})

(defn r   [_ _] {:type :invoke, :f :read,  :value nil})
(defn w   [_ _] {:type :invoke, :f :write, :value (rand-int 5)})
(defn cas [_ _] {:type :invoke, :f :cas,   :value [(rand-int 5) (rand-int 5)]})

(defn key-generator
  "The operations on one key: some threads of the key's group only read, the others write and
  cas; at most ops-per-key operations, so that Knossos stays tractable."
  [threads-per-key ops-per-key]
  (let [readers (max 1 (quot threads-per-key 2))]
    (->> (gen/reserve readers r (gen/mix [w cas cas]))
         (gen/limit ops-per-key))))

(defn generator
  "Keys 0, 1, 2, ... each worked on by a group of threads-per-key threads."
  [opts]
  (independent/concurrent-generator
    (:threads-per-key opts)
    (range)
    (fn [_k] (key-generator (:threads-per-key opts) (:ops-per-key opts)))))

(defrecord PerMember [ops-fn]
  ; The final reads go to the members at the time they start (the member nemesis may have removed
  ; some nodes): ops-fn of those nodes gives the ops, run by the clients.
  gen/Generator
  (op [_ test ctx] (gen/op (gen/clients (ops-fn (db/member-nodes test))) test ctx))
  (update [this _ _ _] this))

(defn final-generator
  "After healing: one whole-map read through every current member."
  [_opts]
  (->PerMember (fn [nodes]
                 (for [node nodes]
                   {:type :invoke, :f :final-read, :value nil, :node node}))))

;; Checkers

(defn filter-checker
  "A checker that runs `checker` on the subset of the history whose ops satisfy pred."
  [pred checker]
  (reify checker/Checker
    (check [_ test history opts]
      (checker/check checker test (h/filter pred history) opts))))

(defn register-op?
  "The ops of the per-key checkers: the register's client ops, and the nemesis' (so the timelines
  show the faults). Not the final reads, whose values are whole maps, not registers."
  [op]
  (or (register-fs (:f op))
      (= :nemesis (:process op))))

(defn client-register-op?
  "What Knossos sees: only the register's client ops."
  [op]
  (and (register-fs (:f op))
       (not= :nemesis (:process op))))

(defn written-values
  "For each key, the set of values any write or cas invocation tried to store."
  [history]
  (reduce (fn [m op]
            (if (and (h/invoke? op) (independent/tuple? (:value op)))
              (let [[k v] (:value op)]
                (case (:f op)
                  :write (update m k (fnil conj #{}) v)
                  :cas   (update m k (fnil conj #{}) (second v))
                  m))
              m))
          {}
          history))

(defn map-diff
  "For maps a and b, the keys on which they differ, with both values."
  [a b]
  (->> (set/union (set (keys a)) (set (keys b)))
       (keep (fn [k]
               (let [va (get a k ::absent), vb (get b k ::absent)]
                 (when (not= va vb) [k [va vb]]))))
       (into (sorted-map-by outcome/compare-ids))))

(defn check-convergence
  "Pure core of the convergence checker. Takes the nodes, the whole history, and optionally the
  values each key may hold (key -> set; by default written-values of the history), and returns
  the result map:

    :valid?            true iff every node returned a whole map and all maps are identical, and
                       every value in it was actually written by some write or cas
    :nodes-read        nodes whose final read succeeded
    :unread-nodes      nodes which never answered a final read (after retrying)
    :divergent         when the maps differ: per node, how its map differs from the first node's
    :unexpected-values keys whose final value no operation ever tried to write
    :final-map-size    number of keys in the (agreed) map"
  ([nodes history]
   (check-convergence nodes history (written-values history)))
  ([nodes history written]
  (let [finals  (->> history
                     (filter #(and (= :final-read (:f %)) (h/ok? %)))
                     (reduce (fn [m op] (assoc m (:node op) (:value op))) {}))
        unread  (vec (remove finals nodes))
        read    (vec (filter finals nodes))
        maps    (map finals read)
        [ref-node] read
        ref-map (get finals ref-node)
        divergent (->> (rest read)
                       (keep (fn [node]
                               (let [d (map-diff ref-map (get finals node))]
                                 (when (seq d) [node d]))))
                       (into (sorted-map)))
        unexpected (when ref-map
                     (->> ref-map
                          (keep (fn [[k v]]
                                  (when (and (some? v) (not (contains? (get written k #{}) v)))
                                    [k v])))
                          (into (sorted-map-by outcome/compare-ids))))
        converged? (and (seq read) (empty? unread) (apply = maps))]
    (cond-> {:valid?         (boolean (and converged? (empty? unexpected)))
             :nodes-read     read
             :unread-nodes   unread
             :final-map-size (count ref-map)}
      (seq divergent)  (assoc :divergent divergent
                              :reference-node ref-node)
      (seq unexpected) (assoc :unexpected-values unexpected)
      (empty? read)    (assoc :error "no node answered a final read")))))

(defn convergence-checker
  "After the faults healed: did every current member (membership/final-members) return the
  identical whole map? written-fn gives, from the history, the values each key may hold (default:
  written-values)."
  ([] (convergence-checker written-values))
  ([written-fn]
   (reify checker/Checker
     (check [_ test history _opts]
       (check-convergence (membership/final-members (:nodes test) history) history
                          (written-fn history))))))

(defn workload
  "The register workload: client, generator, final generator, checker."
  [opts]
  {:client          (client/client)
   :generator       (generator opts)
   :final-generator (final-generator opts)
   :checker         (checker/compose
                      {:linear      (filter-checker
                                      register-op?
                                      (independent/checker
                                        (checker/compose
                                          {:linear   (filter-checker
                                                       client-register-op?
                                                       (checker/linearizable
                                                         {:model     (model/cas-register outcome/absent)
                                                          :algorithm (:algorithm opts)}))
                                           :timeline (timeline/html)})))
                       :convergence (convergence-checker)})})
