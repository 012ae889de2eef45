export { compileFilter, parseTagExpression, SUBSCRIBE_ALL, type ExpressionType, type MessageFilter } from './message-filter.ts';
export { SqlFilterSyntaxError, parseSql92, type SqlNode } from './sql92-parser.ts';
export { compileSql92, type MessageProperties } from './sql92-evaluator.ts';
