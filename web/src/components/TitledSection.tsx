import type { ReactNode } from "react";

/** A `<section>` named by its own heading (`aria-labelledby`), the panel shape several views share. */
export function TitledSection({
  headingId,
  testId,
  className,
  headingLevel: Heading = "h2",
  headingClassName,
  title,
  children,
}: {
  headingId: string;
  testId: string;
  className: string;
  headingLevel?: "h2" | "h3";
  headingClassName: string;
  title: ReactNode;
  children: ReactNode;
}) {
  return (
    <section aria-labelledby={headingId} data-testid={testId} className={className}>
      <Heading id={headingId} className={headingClassName}>
        {title}
      </Heading>
      {children}
    </section>
  );
}

/** The `<th scope="col">` cells of a table's header row, one per label; `lastClassName` for the last one where it differs. */
export function ColumnHeads({
  labels,
  className,
  lastClassName = className,
}: {
  labels: readonly string[];
  className: string;
  lastClassName?: string;
}) {
  return labels.map((label, i) => (
    <th key={label} scope="col" className={i === labels.length - 1 ? lastClassName : className}>
      {label}
    </th>
  ));
}
