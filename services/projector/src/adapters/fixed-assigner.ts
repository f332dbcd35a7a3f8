import kafkajs from 'kafkajs';
import type { PartitionAssigner } from 'kafkajs';

/**
 * A partition assigner that gives the group's member exactly the listed partitions. kafkajs
 * has no manual assignment; a private consumer group with this assigner is the supported way
 * to read chosen partitions of a topic.
 */
export function fixedPartitionsAssigner(topic: string, partitions: readonly number[]): PartitionAssigner {
  return () => ({
    name: 'FixedPartitions',
    version: 1,
    protocol: ({ topics }) => ({
      name: 'FixedPartitions',
      metadata: kafkajs.AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
    }),
    assign: ({ members }) =>
      Promise.resolve(
        // Groups using this assigner have a single member.
        members.map(({ memberId }) => ({
          memberId,
          memberAssignment: kafkajs.AssignerProtocol.MemberAssignment.encode({
            version: 1,
            assignment: { [topic]: [...partitions] },
            userData: Buffer.alloc(0),
          }),
        })),
      ),
  });
}
