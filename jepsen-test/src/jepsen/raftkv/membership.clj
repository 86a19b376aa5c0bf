(ns jepsen.raftkv.membership
  "The member nemesis' pure decisions (unit-tested): given the cluster's committed membership,
  which change to make next, never leaving fewer than three voters; and, from a history, the
  membership at the end and how many changes the run made.

  A view is {:voters [ids] :learners [ids]} as GET /admin/members reports it (the node ids are
  the Jepsen node names n1..n5).")

(def min-voters
  "The member nemesis never shrinks the cluster below this many voters: with three, one node
  killed or cut off still leaves a quorum."
  3)

(defn members
  "Every member of a view, voters and learners."
  [{:keys [voters learners]}]
  (into (sorted-set) (concat voters learners)))

(defn addable
  "The nodes that may join: the test's nodes that are no member (voter or learner) of the view."
  [nodes view]
  (vec (sort (remove (members view) nodes))))

(defn removable
  "The voters that may be removed (any of them, the leader too): none when that would leave fewer
  than min-voters voters."
  [{:keys [voters]}]
  (if (> (count voters) min-voters)
    (vec (sort voters))
    []))

(defn choices
  "Every change the nemesis may make next, as {:action :grow|:shrink|:settle, :node id}. A learner
  left over from an earlier grow (its promotion did not happen) is settled first, and alone: one
  change at a time, and a learner is no voter to count on."
  [nodes view]
  (if-let [learner (first (sort (:learners view)))]
    [{:action :settle, :node learner}]
    (concat (for [n (addable nodes view)] {:action :grow, :node n})
            (for [n (removable view)] {:action :shrink, :node n}))))

(defn decide
  "The next change: pick-kind chooses among the kinds of change available (a collection of
  :grow/:shrink/:settle), pick-node among that kind's nodes (rand-nth for both in a run; the tests
  pass deterministic ones). {:action :none} when nothing is possible (no view, or no node to add
  and no voter to spare)."
  [nodes view pick-kind pick-node]
  (let [by-kind (group-by :action (choices nodes view))]
    (if (or (nil? view) (empty? by-kind))
      {:action :none}
      (let [kind (pick-kind (vec (sort (keys by-kind))))]
        {:action kind, :node (pick-node (mapv :node (by-kind kind)))}))))

(defn after-change
  "The view a successful change leads to (for the tests and for deciding before the next read)."
  [view {:keys [action node]}]
  (let [drop-node (fn [ids] (vec (remove #{node} ids)))]
    (case action
      :grow   (update view :voters (comp vec sort conj) node)
      :shrink (-> view (update :voters drop-node) (update :learners drop-node))
      :settle (-> view (update :learners drop-node) (update :voters (comp vec sort conj) node))
      view)))

;; ---------------------------------------------------------------------------------------------
;; Reading a history

(defn member-op?
  [op]
  (and (= :nemesis (:process op)) (= :member (:f op)) (map? (:value op))))

(defn change-count
  "How many membership changes took effect (each committed configuration entry: add a learner,
  promote it, remove a member), from the member nemesis' completed ops."
  [history]
  (->> history
       (filter #(and (member-op? %) (not= :invoke (:type %))))
       (map #(count (:changes (:value %))))
       (reduce + 0)))

(defn change-summary
  "{:changes n, :grown k, :shrunk m, :attempts a}: the membership changes of a run, for the verdict
  box."
  [history]
  (let [done (filter #(and (member-op? %) (not= :invoke (:type %))) history)
        outcome-count (fn [pred] (count (filter #(pred (:value %)) done)))]
    {:changes  (change-count history)
     :grown    (outcome-count #(= :voter (:outcome %)))
     :shrunk   (outcome-count #(= :removed (:outcome %)))
     :attempts (outcome-count #(not (#{:none :final} (:action %))))}))

(defn final-members
  "The members the convergence check compares: those the member nemesis read from the cluster at
  the end (its :final op), else every node of the test (no member nemesis in this run)."
  [nodes history]
  (if-let [view (->> history
                     (filter #(and (member-op? %) (= :final (:action (:value %)))
                                   (:voters (:value %))))
                     last
                     :value)]
    (vec (members view))
    (vec nodes)))
