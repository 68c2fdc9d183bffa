/**
 * The small Chinese + English lexicon behind the simulated review analysis. Data only; the matching lives in
 * review-analysis.ts. Feature names in the answer are the canonical English keys below, in this order.
 */

export interface FeatureEntry {
  readonly name: string;
  readonly zh: string;
  readonly words: readonly string[];
}

export const FEATURES: readonly FeatureEntry[] = [
  { name: 'quality', zh: '质量', words: ['质量', '品质', 'quality'] },
  { name: 'price', zh: '价格', words: ['价格', '价钱', '性价比', '便宜', '贵', 'price', 'expensive', 'cheap', 'value for money'] },
  { name: 'delivery', zh: '物流', words: ['物流', '快递', '发货', '送货', '配送', 'delivery', 'shipping', 'shipped', 'arrived', 'courier'] },
  { name: 'size', zh: '尺码', words: ['尺码', '尺寸', '大小', '偏大', '偏小', 'size', 'fit', 'too small', 'too large', 'too big'] },
  { name: 'fabric', zh: '面料', words: ['面料', '布料', '材质', '料子', 'fabric', 'material', 'cotton'] },
  { name: 'color', zh: '颜色', words: ['颜色', '色差', '褪色', 'color', 'colour', 'faded'] },
  { name: 'packaging', zh: '包装', words: ['包装', 'packaging', 'package', 'box'] },
  { name: 'service', zh: '客服', words: ['客服', '服务', '售后', 'customer service', 'service', 'support', 'seller'] },
  { name: 'workmanship', zh: '做工', words: ['做工', '线头', '工艺', 'stitching', 'workmanship', 'craftsmanship'] },
  { name: 'battery', zh: '电池', words: ['电池', '续航', '充电', 'battery', 'charge', 'charging'] },
  { name: 'screen', zh: '屏幕', words: ['屏幕', '显示', 'screen', 'display'] },
  { name: 'sound', zh: '音质', words: ['音质', '声音', '噪音', 'sound', 'audio', 'noise', 'noisy'] },
];

/**
 * Negative phrases are matched first and blanked out, so that "不好" or "not good" never counts as the positive
 * "好"/"good" it contains.
 */
export const NEGATIVE_WORDS: readonly string[] = [
  '不好', '不满意', '不喜欢', '不推荐', '不舒服', '不值', '不行', '太差', '很差', '差评', '差', '失望', '退货', '退款',
  '太慢', '很慢', '慢', '太贵', '坏了', '破损', '破', '坏', '问题', '垃圾', '褪色', '色差', '起球', '线头', '偏小', '偏大',
  '噪音', '后悔', '一般般',
  'not good', 'not worth', 'not happy', "doesn't work", 'does not work', "don't recommend", 'do not recommend',
  'bad', 'poor', 'terrible', 'awful', 'worst', 'slow', 'broken', 'broke', 'disappointed', 'disappointing',
  'return', 'returned', 'refund', 'defective', 'defect', 'faded', 'too small', 'too large', 'too big', 'overpriced',
  'cheaply made', 'noisy', 'waste', 'late', 'damaged', 'problem', 'issue',
];

export const POSITIVE_WORDS: readonly string[] = [
  '好评', '很好', '好', '喜欢', '满意', '不错', '推荐', '完美', '舒服', '舒适', '漂亮', '划算', '很快', '速度快', '值得',
  '超值', '精致', '结实', '惊喜', '棒',
  'good', 'great', 'excellent', 'love', 'loved', 'perfect', 'recommend', 'comfortable', 'happy', 'fast', 'nice',
  'beautiful', 'worth', 'amazing', 'awesome', 'satisfied', 'sturdy', 'quick',
];
