// Which roles open which areas of the app (the API decides again on every request).
export const STAFF = ['consultant', 'manager', 'director', 'admin']
// Who works at the desk (团队客户, 离职交接 …) and who administers the company's structure.
export const DESK = ['manager', 'director', 'admin']
export const ADMINISTRATORS = ['director', 'admin']
