// Shared mechanics of the IR passes: build a new graph from an old one node
// by node, remembering where each old node went.
#pragma once

#include "rnnc/ir.h"

namespace rnnc {

class GraphRewriter {
 public:
  // Copies the declarations of `source`; nodes are added with emit()/alias().
  explicit GraphRewriter(const Graph& source);

  // The old node, with its operands renamed to their new ids.
  Node remapped(NodeId old_id) const;
  // The new id of an already rewritten old node.
  NodeId mapped(NodeId old_id) const { return map_[std::size_t(old_id)]; }
  const Node& new_node(NodeId new_id) const { return result_.node(new_id); }

  // Adds `node` as the rewrite of `old_id`.
  NodeId emit(NodeId old_id, Node node);
  // Rewrites `old_id` to an existing new node.
  void alias(NodeId old_id, NodeId new_id) { map_[std::size_t(old_id)] = new_id; }
  // Adds a node that has no old counterpart (e.g. a folded constant).
  NodeId emit_new(Node node);

  // Renames results; verifies and returns the new graph.
  Graph finish();

  Graph& result() { return result_; }

 private:
  const Graph& source_;
  Graph result_;
  std::vector<NodeId> map_;
};

}  // namespace rnnc
